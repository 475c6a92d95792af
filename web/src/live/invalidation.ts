/**
 * Which cached queries an event makes stale, by the first key of the query: the console's query
 * keys start with the resource they read (`['tasks', …]`, `['aircraft', …]`, …).
 */
export function staleKeysOf(type: string): string[] {
  if (type === 'dashboard') return [];
  const keys = new Set<string>(['dashboard']);
  if (type.startsWith('task_') || type === 'program_task_generated') keys.add('tasks').add('conflicts');
  // A task's change can move its aircraft's status (the grounding workflow); the timeline shows both.
  if (type.startsWith('task_') || type.startsWith('aircraft_')) keys.add('aircraft').add('timeline');
  if (type === 'program_task_generated') keys.add('timeline');
  if (type.startsWith('compliance_')) keys.add('tasks').add('compliance');
  if (type.startsWith('directive_')) keys.add('directives').add('due-list');
  if (type.startsWith('part_')) keys.add('parts').add('stock');
  if (type.startsWith('alert_')) keys.add('alerts');
  return [...keys];
}
