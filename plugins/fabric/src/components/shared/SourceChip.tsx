import Chip from '@material-ui/core/Chip';

/** Says plainly where the numbers come from: a demo estate is never mistaken for AWS. */
export const SourceChip = ({ source, mode }: { source: string; mode?: string }) => (
  <>
    <Chip
      size="small"
      color={source === 'demo' ? 'secondary' : 'primary'}
      label={source === 'demo' ? 'demo estate' : 'live AWS estate'}
      data-testid="fabric-source"
    />
    {mode && <Chip size="small" variant="outlined" label={mode} />}
  </>
);
