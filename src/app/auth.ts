// Placeholder: being written (AuthService).
export class AuthService {
  constructor(readonly deps: unknown) {}
}
