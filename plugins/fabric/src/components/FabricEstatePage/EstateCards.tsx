import {
  InfoCard,
  StatusError,
  StatusOK,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { cellId, CellStatus, EstateAccountView } from '@internal/backstage-plugin-fabric-common';
import { age } from '../shared/format';

type Keyed<T> = T & { id: string };

const accountColumns: TableColumn<Keyed<EstateAccountView>>[] = [
  { title: 'Account', render: row => `${row.name} (${row.id})` },
  { title: 'Role', field: 'role' },
  { title: 'Regions', render: row => row.regions.join(', ') },
  {
    title: 'Health',
    render: row =>
      row.staleCells === 0 ? <StatusOK>all cells fresh</StatusOK> : <StatusError>{row.staleCells} stale cell(s)</StatusError>,
  },
];

const cellColumns: TableColumn<Keyed<CellStatus>>[] = [
  { title: 'Account', render: row => `${row.accountName} (${row.accountId})` },
  { title: 'Region', field: 'region' },
  {
    title: 'Health',
    render: row => (row.fresh ? <StatusOK>fresh</StatusOK> : <StatusError>stale</StatusError>),
  },
  { title: 'Discovered', render: row => age(row.discoveredAt) },
  {
    title: 'AZ names → AZ-IDs',
    render: row =>
      Object.entries(row.azMap)
        .map(([name, id]) => `${name.slice(-1)}→${id}`)
        .join(' '),
  },
  { title: 'Last error / warnings', render: row => [row.error, ...(row.warnings ?? [])].filter(Boolean).join(' · ') },
];

/** A card that is one plain table: no toolbar, no paging, every row shown. */
function TableCard<T extends object>({
  title,
  columns,
  data,
}: {
  title: string;
  columns: TableColumn<T>[];
  data: T[];
}) {
  return (
    <InfoCard title={title} noPadding>
      <Table<T>
        options={{ paging: false, search: false, toolbar: false, padding: 'dense' }}
        columns={columns}
        data={data}
      />
    </InfoCard>
  );
}

/** Every enrolled account with its role, regions and how many of its cells are stale. */
export const AccountsCard = ({ accounts }: { accounts: EstateAccountView[] }) => (
  <TableCard title="Accounts" columns={accountColumns} data={accounts.map(a => ({ ...a, id: a.id }))} />
);

/** Every cell with its last discovery: when, its AZ-name map, and what went wrong. */
export const CellsCard = ({ cells }: { cells: CellStatus[] }) => (
  <TableCard title="Cells (account × region)" columns={cellColumns} data={cells.map(c => ({ ...c, id: cellId(c) }))} />
);
