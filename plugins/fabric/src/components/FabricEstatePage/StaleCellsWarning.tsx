import { Fragment } from 'react';
import { WarningPanel } from '@backstage/core-components';
import { cellId, CellStatus } from '@internal/backstage-plugin-fabric-common';

/** Says that results are partial, naming each stale cell and why it could not be read. */
export const StaleCellsWarning = ({ cells }: { cells: CellStatus[] }) =>
  cells.length === 0 ? null : (
    <WarningPanel
      title={`${cells.length} cell(s) stale: results are partial`}
      message={cells.map((c, i) => (
        // One line per stale cell: a joined string would run them together.
        <Fragment key={cellId(c)}>
          {i > 0 && <br />}
          <span>{`${c.accountName} ${c.region}: ${c.error ?? 'no data'}`}</span>
        </Fragment>
      ))}
    />
  );
