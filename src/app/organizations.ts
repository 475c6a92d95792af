// Placeholder: being written (OrganizationService).
export class OrganizationService {
  constructor(readonly deps: unknown) {}
}
