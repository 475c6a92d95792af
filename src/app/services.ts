import type { AuthService } from './auth.js';
import type { OrganizationService } from './organizations.js';
import type { UserService } from './users.js';

/** The application services every interface (REST now, gRPC later) calls. */
export interface Services {
  auth: AuthService;
  organizations: OrganizationService;
  users: UserService;
}
