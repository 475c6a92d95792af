/**
 * The directive compliance report as a PDF (pdfkit, standard Helvetica, A4 landscape): a title, a
 * header on every page (organization, authority, registration certificates, generation time in
 * UTC), one table per aircraft whose header row is repeated when it continues on the next page,
 * and "Page N of M" at the foot of every page.
 */
import PDFDocument from 'pdfkit';
import type {
  directiveComplianceHeaderView,
  DirectiveReportEntryView,
  directiveReportAircraftView,
} from '../../../app/reports.js';

type HeaderView = ReturnType<typeof directiveComplianceHeaderView>;
type AircraftView = ReturnType<typeof directiveReportAircraftView> & {
  directives: DirectiveReportEntryView[];
};
type Doc = PDFKit.PDFDocument;

const MARGIN = 36;
/** Room above the content for the page header. */
const HEADER_HEIGHT = 64;
const FOOTER_HEIGHT = 24;
const CELL_PADDING = 3;
const FONT_SIZE = 8;

/** The table's columns and their widths in points (they fill A4 landscape between the margins). */
const COLUMNS = [
  { title: 'Reference', width: 92 },
  { title: 'Title', width: 210 },
  { title: 'Status', width: 86 },
  { title: 'Last compliance', width: 150 },
  { title: 'Next due', width: 102 },
  { title: 'Signer', width: 129.89 },
] as const;

const number = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** A due as lines: the date, the flight hours, the cycles it is due at; a dash when nothing is due. */
function dueLines(due: {
  date: string | null;
  flight_hours: number | null;
  cycles: number | null;
}): string[] {
  const lines = [
    ...(due.date === null ? [] : [due.date]),
    ...(due.flight_hours === null ? [] : [`${number(due.flight_hours)} FH`]),
    ...(due.cycles === null ? [] : [`${number(due.cycles)} cycles`]),
  ];
  return lines.length === 0 ? ['-'] : lines;
}

/** The cells of one directive's row. */
function cellsOf(entry: DirectiveReportEntryView): string[] {
  const status = [
    entry.status.replace('_', ' ') + (entry.past_limit && entry.status !== 'overdue' ? ' (past limit)' : ''),
    ...(entry.status_reason ? [entry.status_reason] : []),
  ];
  const last = entry.last_compliance;
  const next = entry.deferred_until
    ? ['deferred to:', ...dueLines(entry.deferred_until)]
    : dueLines(entry.next_due);
  return [
    `${entry.reference_number}\n${entry.type.toUpperCase()}, ${entry.applicability}`,
    entry.title + (entry.directive_status === 'active' ? '' : ` (${entry.directive_status})`),
    status.join('\n'),
    last
      ? `${last.performed_at.slice(0, 10)}\n${last.method}\n${number(last.flight_hours)} FH, ${number(last.cycles)} cycles` +
        (last.task_id ? `\ntask ${last.task_id.slice(0, 8)}` : '')
      : 'never',
    next.join('\n'),
    last?.signer_email ?? '-',
  ];
}

/** Draws a row at the current y: its cells wrapped in their columns and a rule below it. */
function drawRow(doc: Doc, cells: readonly string[], height: number, bold: boolean): void {
  const top = doc.y;
  let x = MARGIN;
  doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(FONT_SIZE);
  if (bold)
    doc
      .rect(MARGIN, top, doc.page.width - 2 * MARGIN, height)
      .fill('#e8e8e8')
      .fillColor('black');
  COLUMNS.forEach((column, index) => {
    doc.text(cells[index] ?? '', x + CELL_PADDING, top + CELL_PADDING, {
      width: column.width - 2 * CELL_PADDING,
    });
    x += column.width;
  });
  doc
    .moveTo(MARGIN, top + height)
    .lineTo(doc.page.width - MARGIN, top + height)
    .lineWidth(0.5)
    .stroke('#999999');
  doc.x = MARGIN;
  doc.y = top + height;
}

function rowHeight(doc: Doc, cells: readonly string[], bold: boolean): number {
  doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(FONT_SIZE);
  const heights = COLUMNS.map((column, index) =>
    doc.heightOfString(cells[index] ?? '', { width: column.width - 2 * CELL_PADDING }),
  );
  return Math.max(...heights) + 2 * CELL_PADDING;
}

/** Whether `height` more points fit above the bottom margin. */
const fits = (doc: Doc, height: number) => doc.y + height <= doc.page.maxY();

const registrationText = (header: HeaderView): string =>
  header.registrations.length === 0
    ? `none on record with ${header.authority.code}`
    : header.registrations
        .map(
          (r) =>
            `${r.approval_type} ${r.certificate_number}` +
            (r.valid_until ? ` (valid until ${r.valid_until})` : ''),
        )
        .join('; ');

/** The page header, drawn in the top margin of every page. */
function drawPageHeader(doc: Doc, header: HeaderView): void {
  const width = doc.page.width - 2 * MARGIN;
  const generated = `Generated ${header.generated_at.slice(0, 19).replace('T', ' ')} UTC`;
  doc
    .font('Helvetica-Bold')
    .fontSize(10)
    .text(header.org_name, MARGIN, 20, { width: width - 200, lineBreak: false });
  doc
    .font('Helvetica')
    .fontSize(8)
    .text(generated, doc.page.width - MARGIN - 200, 22, { width: 200, align: 'right' });
  doc.text(`Authority: ${header.authority.code} - ${header.authority.name}`, MARGIN, 34, { width });
  doc.text(`Registration: ${registrationText(header)}`, MARGIN, 44, { width, lineBreak: false });
  doc
    .moveTo(MARGIN, HEADER_HEIGHT - 6)
    .lineTo(doc.page.width - MARGIN, HEADER_HEIGHT - 6)
    .lineWidth(0.75)
    .stroke('#333333');
  doc.x = MARGIN;
  doc.y = HEADER_HEIGHT;
}

/** Moves to a new page when `height` does not fit; true when it did. */
function breakPageFor(doc: Doc, height: number): boolean {
  if (fits(doc, height)) return false;
  doc.addPage();
  return true;
}

function drawAircraft(doc: Doc, header: HeaderView, aircraft: AircraftView): void {
  const title = [
    aircraft.tail_number,
    aircraft.aircraft_type ? `${aircraft.aircraft_type} ${aircraft.aircraft_model}` : aircraft.aircraft_model,
    `MSN ${aircraft.serial_number ?? 'unknown'}`,
    `${number(aircraft.flight_hours_total)} FH, ${number(aircraft.cycles_total)} cycles`,
  ].join('  |  ');
  const headerCells = COLUMNS.map((column) => column.title);
  const headerHeight = rowHeight(doc, headerCells, true);
  const drawTitle = (continued: boolean) => {
    doc
      .font('Helvetica-Bold')
      .fontSize(10)
      .text(title + (continued ? '  (continued)' : ''), MARGIN, doc.y);
    doc.moveDown(0.3);
  };
  // The title, the header row and a first row stay together.
  doc.moveDown(0.6);
  breakPageFor(doc, 40 + headerHeight);
  drawTitle(false);
  if (aircraft.directives.length === 0) {
    doc
      .font('Helvetica-Oblique')
      .fontSize(FONT_SIZE)
      .text(`No directive of ${header.authority.code} is tracked on this aircraft.`, MARGIN, doc.y);
    return;
  }
  drawRow(doc, headerCells, headerHeight, true);
  for (const entry of aircraft.directives) {
    const cells = cellsOf(entry);
    const height = rowHeight(doc, cells, false);
    if (breakPageFor(doc, height)) {
      drawTitle(true);
      drawRow(doc, headerCells, headerHeight, true);
    }
    drawRow(doc, cells, height, false);
  }
}

/**
 * Renders the report into a PDF stream and returns it at once; the aircraft are read as the
 * rendering goes. Pages are buffered (pdfkit `bufferPages`) until the end so that each can say
 * "Page N of M"; the stream is destroyed with the error when reading the rows fails.
 */
export function directiveComplianceReportPdf(header: HeaderView, aircraft: AsyncIterable<AircraftView>): Doc {
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    bufferPages: true,
    margins: { top: HEADER_HEIGHT, bottom: MARGIN + FOOTER_HEIGHT, left: MARGIN, right: MARGIN },
    info: {
      Title: `Directive compliance report - ${header.authority.code} - ${header.org_name}`,
      Author: 'AMSS',
      CreationDate: new Date(header.generated_at),
    },
  });
  doc.on('pageAdded', () => drawPageHeader(doc, header));
  drawPageHeader(doc, header);

  const render = async () => {
    doc
      .font('Helvetica-Bold')
      .fontSize(16)
      .text(`Directive compliance report: ${header.authority.code}`, MARGIN, doc.y);
    doc
      .font('Helvetica')
      .fontSize(9)
      .text(
        header.aircraft_id === null
          ? 'Every live aircraft of the organization, with each tracked directive of the authority.'
          : 'One aircraft, with each tracked directive of the authority.',
      );
    let count = 0;
    for await (const one of aircraft) {
      drawAircraft(doc, header, one);
      count += 1;
    }
    if (count === 0)
      doc.moveDown().font('Helvetica-Oblique').fontSize(9).text('The organization has no live aircraft.');
    drawPageNumbers(doc);
    doc.end();
  };
  render().catch((error: unknown) => doc.destroy(error instanceof Error ? error : new Error(String(error))));
  return doc;
}

/** "Page N of M" at the foot of every buffered page. */
function drawPageNumbers(doc: Doc): void {
  const range = doc.bufferedPageRange();
  for (let index = range.start; index < range.start + range.count; index += 1) {
    doc.switchToPage(index);
    // Writing below the bottom margin would otherwise start a new page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('Helvetica')
      .fontSize(8)
      .text(`Page ${index + 1} of ${range.count}`, MARGIN, doc.page.height - MARGIN, {
        width: doc.page.width - 2 * MARGIN,
        align: 'right',
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
  }
}
