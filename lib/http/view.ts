// What a stored item looks like in a response: the tenant is always the caller's own, so it is
// left out.
export function withoutTenant<T extends { tenant: string }>({ tenant: _tenant, ...rest }: T): Omit<T, "tenant"> {
  return rest;
}
