import { ChangeEvent, Fragment, ReactNode } from 'react';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import FormControl from '@material-ui/core/FormControl';
import FormHelperText from '@material-ui/core/FormHelperText';
import FormLabel from '@material-ui/core/FormLabel';
import Radio from '@material-ui/core/Radio';
import RadioGroup from '@material-ui/core/RadioGroup';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useCapacityChoices } from '../../hooks/useCapacityChoices';
import { usd } from '../shared/format';
import { SourceChip } from '../shared/SourceChip';
import {
  CapacityNeed,
  FabricCapacityPickerValue,
  RegionChoice,
  needFromForm,
} from './capacityChoices';

const NONE = '';
const keyOf = (value?: FabricCapacityPickerValue) =>
  value?.region ? `${value.region}|${value.azId ?? ''}` : NONE;

/** The need in words, and what is still missing from the form. */
function needText(need: CapacityNeed): string {
  const gpus = need.totalGpus ? `${need.totalGpus} ` : '';
  const what = `${gpus}${need.gpu ?? 'any'} GPU${need.totalGpus === 1 ? '' : 's'}`;
  const intent = need.intent ? ` for ${need.intent} work` : '';
  const gang =
    need.intent === 'tightly-coupled'
      ? ': the whole gang in one AZ-ID, on one EFA-capable type, reserved or on-demand'
      : '';
  const missing = [
    !need.intent && 'intent',
    !need.gpu && 'GPU',
    !need.totalGpus && 'total GPUs',
  ].filter((m): m is string => Boolean(m));
  const list = missing.length > 1 ? `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]}` : missing[0];
  return `${what}${intent}${gang}.${list ? ` Fill in the ${list} to check the choice against the need.` : ''}`;
}

function Fits({ gpus, need }: { gpus: number; need: CapacityNeed }) {
  if (need.totalGpus === undefined) return <>—</>;
  return gpus >= need.totalGpus ? <>yes</> : <>short by {need.totalGpus - gpus}</>;
}

/** A row of the picker: a region (any of its AZ-IDs) or one AZ-ID, with what it holds. */
function ChoiceRow({
  value,
  label,
  place,
  indent,
  localNames,
  choice,
  selected,
  locked,
  need,
}: {
  /** The radio's value, {@link keyOf} the choice. */
  value: string;
  /** What the radio is called for assistive technology. */
  label: string;
  place: ReactNode;
  indent?: boolean;
  localNames?: string;
  choice: Pick<RegionChoice, 'gpus' | 'cheapestPerGpuHour'>;
  /** The value of the chosen radio. */
  selected: string;
  locked?: boolean;
  need: CapacityNeed;
}) {
  return (
    <TableRow selected={selected === value}>
      <TableCell padding="checkbox">
        <Radio value={value} size="small" disabled={locked} inputProps={{ 'aria-label': label }} />
      </TableCell>
      <TableCell style={indent ? { paddingLeft: 32 } : undefined}>{place}</TableCell>
      <TableCell>{localNames}</TableCell>
      <TableCell align="right">{choice.gpus}</TableCell>
      <TableCell align="right">{usd(choice.cheapestPerGpuHour)}</TableCell>
      <TableCell>
        <Fits gpus={choice.gpus} need={need} />
      </TableCell>
    </TableRow>
  );
}

/**
 * Scaffolder field `FabricCapacityPicker`: live capacity for the form's intent, GPU and
 * size, by region and AZ-ID (each account's own zone name beside the AZ-ID); the user
 * picks a region and optionally one AZ-ID of it.
 */
export const FabricCapacityPicker = (props: FieldExtensionComponentProps<FabricCapacityPickerValue>) => {
  const { formData, onChange, schema, required, rawErrors, idSchema, disabled, readonly } = props;
  const form = props.formContext?.formData ?? props.registry?.formContext?.formData;
  const need = needFromForm(form);
  const { state, choices } = useCapacityChoices(need);
  const gang = need.intent === 'tightly-coupled';
  const selected = keyOf(formData);
  const listed = choices.some(
    c => keyOf({ region: c.region }) === selected || c.zones.some(z => keyOf(z) === selected),
  );

  const select = (event: ChangeEvent<HTMLInputElement>) => {
    const [region, azId] = event.target.value.split('|');
    onChange(region ? { region, ...(azId ? { azId } : {}) } : undefined);
  };
  const locked = disabled || readonly;
  const rowProps = { selected, locked, need };
  const id = idSchema?.$id ?? 'fabric-capacity-picker';

  return (
    <FormControl
      component="fieldset"
      fullWidth
      margin="normal"
      required={required}
      error={(rawErrors?.length ?? 0) > 0}
      disabled={locked}
    >
      <FormLabel component="legend">{schema.title ?? 'Where to run'}</FormLabel>
      <Typography variant="body2" color="textSecondary">
        {schema.description ??
          'Regions and AZ-IDs with GPUs within quota now. An AZ-ID is the same physical zone in every account; each account calls it by its own zone name, shown beside it.'}
      </Typography>
      <Typography variant="body2" data-testid="fabric-capacity-need">
        Need: {needText(need)}
      </Typography>
      {state.loading && <Progress />}
      {state.error && <ResponseErrorPanel error={state.error} />}
      {state.value && (
        <>
          <Typography variant="body2" component="div">
            <SourceChip source={state.value.source} />
            {state.value.staleCells.length > 0 &&
              ` ${state.value.staleCells.length} cell(s) could not be discovered and are left out.`}
          </Typography>
          {choices.length === 0 ? (
            <Typography variant="body2" style={{ padding: 8 }}>
              No offerings match this GPU and intent now.
            </Typography>
          ) : (
            <RadioGroup
              name={id}
              aria-label={schema.title ?? 'Where to run'}
              value={selected}
              onChange={select}
            >
              <Table size="small" aria-label="Capacity by region and AZ-ID">
                <TableHead>
                  <TableRow>
                    <TableCell padding="checkbox" />
                    <TableCell>Region / AZ-ID</TableCell>
                    <TableCell>Account-local AZ names</TableCell>
                    <TableCell align="right">
                      {gang ? 'GPUs for one gang' : 'GPUs within quota'}
                    </TableCell>
                    <TableCell align="right">Cheapest $/GPU-h</TableCell>
                    <TableCell>Fits {need.totalGpus ?? '—'} GPUs</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {!required && (
                    <TableRow>
                      <TableCell padding="checkbox">
                        <Radio value={NONE} size="small" disabled={locked} inputProps={{ 'aria-label': 'No preference' }} />
                      </TableCell>
                      <TableCell colSpan={5}>No preference: the placement chooses</TableCell>
                    </TableRow>
                  )}
                  {choices.map(region => (
                    <Fragment key={region.region}>
                      <ChoiceRow
                        value={keyOf({ region: region.region })}
                        label={`${region.region}, any AZ-ID`}
                        place={
                          <>
                            <strong>{region.region}</strong> (any AZ-ID)
                          </>
                        }
                        choice={region}
                        {...rowProps}
                      />
                      {region.zones.map(zone => (
                        <ChoiceRow
                          key={zone.azId}
                          value={keyOf(zone)}
                          label={`${zone.azId} in ${zone.region}`}
                          place={zone.azId}
                          indent
                          localNames={zone.localNames}
                          choice={zone}
                          {...rowProps}
                        />
                      ))}
                    </Fragment>
                  ))}
                </TableBody>
              </Table>
            </RadioGroup>
          )}
        </>
      )}
      <FormHelperText>
        {formData?.region
          ? `Chosen: ${formData.azId ? `${formData.azId} in ` : ''}${formData.region}${
              formData.azId ? '' : ' (any AZ-ID)'
            }${state.value && !listed ? ', which is not in the list for this GPU and intent' : ''}`
          : 'Choose a region, or one AZ-ID of it to keep the workload in that zone.'}
      </FormHelperText>
    </FormControl>
  );
};
