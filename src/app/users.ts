// Placeholder: being written (UserService).
export class UserService {
  constructor(readonly deps: unknown) {}
}
