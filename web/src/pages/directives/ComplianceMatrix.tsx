import { Anchor, Badge, Paper, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { Link } from 'react-router';
import { DateTime } from '../../components/DateTime';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { TRACKING_COLOR, TRACKING_LABEL, useComplianceMatrix } from './queries';
import { SkeletonRows } from '../../components/SkeletonRows';

/**
 * The applicability matrix: one row per aircraft, one column per directive, each cell the
 * directive's status on that aircraft in colour and in words (with its next due date).
 */
export function ComplianceMatrix({
  authorityId,
  authorityLabel,
}: {
  authorityId?: string;
  authorityLabel: string;
}) {
  const matrix = useComplianceMatrix(authorityId);
  const data = matrix.data;
  return (
    <Paper withBorder radius="md" p="md" data-testid="compliance-matrix">
      <Title order={2} size="h4" mb={4}>
        Applicability matrix
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {authorityLabel}: every aircraft against every directive tracked on the fleet
      </Text>
      <ErrorNotice error={matrix.error} title="The matrix could not be loaded" />
      {matrix.isPending ? (
        <SkeletonRows count={3} />
      ) : !data || data.aircraft.length === 0 ? (
        !matrix.error && (
          <EmptyState title="No directive tracked">
            Scan the fleet from a directive to track it on its aircraft.
          </EmptyState>
        )
      ) : (
        <Table.ScrollContainer minWidth={Math.max(480, 140 + data.directives.length * 150)}>
          <Table withColumnBorders withTableBorder verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Aircraft</Table.Th>
                {data.directives.map((d) => (
                  <Table.Th key={d.id} scope="col">
                    <Tooltip label={d.title} multiline w={280} withArrow>
                      <Anchor component={Link} to={`/directives/${d.id}`} size="sm" fw={600}>
                        {d.authority_code} {d.reference_number}
                      </Anchor>
                    </Tooltip>
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.aircraft.map((aircraft) => {
                const cells = new Map(aircraft.cells.map((c) => [c.directive_id, c]));
                return (
                  <Table.Tr key={aircraft.id}>
                    <Table.Th scope="row">{aircraft.tail_number}</Table.Th>
                    {data.directives.map((d) => {
                      const cell = cells.get(d.id);
                      return (
                        <Table.Td key={d.id} data-testid="matrix-cell">
                          {cell ? (
                            <Stack gap={2} align="flex-start">
                              <Badge color={TRACKING_COLOR[cell.status]} autoContrast size="sm">
                                {TRACKING_LABEL[cell.status]}
                              </Badge>
                              {cell.next_due_date && (
                                <Text size="xs">
                                  due <DateTime value={cell.next_due_date} dateOnly />
                                </Text>
                              )}
                            </Stack>
                          ) : (
                            <Text size="xs" c="dimmed">
                              Not tracked
                            </Text>
                          )}
                        </Table.Td>
                      );
                    })}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}
