/** Nhân viên: the list (`#/staff`), one member (`#/staff/<staff_id>`), the holiday calendar
 * (`#/staff/holidays`). Admins edit; team leads read. */
import type { ScreenProps } from "../registry";
import { StaffEdit } from "./edit";
import { Holidays } from "./holidays";
import { StaffList } from "./list";
import "./staff.css";

export default function Screen(props: ScreenProps) {
  const [param] = props.route.params;
  return (
    <div class="staff-screen">
      {!param ? (
        <StaffList />
      ) : param === "holidays" ? (
        <Holidays year={Number(props.route.query.get("year")) || null} />
      ) : (
        <StaffEdit staffId={param} />
      )}
    </div>
  );
}
