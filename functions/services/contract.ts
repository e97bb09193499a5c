import type { Contract } from '../common/http/api-handler.js';
import { CreateServiceBody, ListServicesQuery, ProjectParams, Service, ServicePage, ServiceParams, UpdateServiceBody } from './schemas.js';

export const servicesContracts = {
  createService: { params: ProjectParams, body: CreateServiceBody, status: 201, response: Service },
  listServices: { params: ProjectParams, query: ListServicesQuery, status: 200, response: ServicePage },
  getService: { params: ServiceParams, status: 200, response: Service },
  updateService: { params: ServiceParams, body: UpdateServiceBody, status: 200, response: Service },
  deleteService: { params: ServiceParams, status: 204 },
} as const satisfies Record<string, Contract>;
