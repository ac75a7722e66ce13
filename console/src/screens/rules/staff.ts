/** The tenant's staff (GET /staff), for picking a rule's members and naming them. */
import { ok, type Api, type Schemas } from "../../api/client";

export type StaffMember = Schemas["StaffMember"];

export async function loadStaff(api: Api): Promise<StaffMember[]> {
  return ok(await api.GET("/staff")).items;
}

/** A staff id's name, or the id itself for someone no longer on file. */
export function namer(staff: StaffMember[] | undefined): (staffId: string) => string {
  const names = new Map((staff ?? []).map((s) => [s.staff_id, s.name]));
  return (staffId) => names.get(staffId) ?? staffId;
}
