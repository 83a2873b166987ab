import { ReactNode, useState } from 'react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import {
  FieldExtensionComponentProps,
  ScaffolderFieldExtensions,
  useCustomFieldExtensions,
} from '@backstage/plugin-scaffolder-react';
import { Stepper } from '@backstage/plugin-scaffolder-react/alpha';
import { FabricApi, fabricApiRef } from '../../api/FabricApi';
import {
  capacityRow,
  h100EfaCapacity,
  TAKEN_AT,
} from '../../__testUtils__/fixtures';
import { FabricCapacityPickerFieldExtension } from '../../plugin';
import { FabricCapacityPicker } from './CapacityPicker';
import { FabricCapacityPickerValue } from './capacityChoices';

type Props = FieldExtensionComponentProps<FabricCapacityPickerValue>;

function props(overrides: Partial<Props> = {}): Props {
  return {
    name: 'where',
    schema: { title: 'Where to run', type: 'object' },
    uiSchema: { 'ui:field': 'FabricCapacityPicker' },
    idSchema: { $id: 'root_where' } as Props['idSchema'],
    formData: undefined,
    formContext: {
      formData: { intent: 'tightly-coupled', gpu: 'H100', totalGpus: 16 },
    },
    onChange: jest.fn(),
    onBlur: jest.fn(),
    onFocus: jest.fn(),
    rawErrors: [],
    disabled: false,
    readonly: false,
    required: false,
    registry: {} as Props['registry'],
    ...overrides,
  } as Props;
}

async function render(api: Partial<FabricApi>, fieldProps: Props) {
  return renderInTestApp(
    <TestApiProvider apis={[[fabricApiRef, api]]}>
      <FabricCapacityPicker {...fieldProps} />
    </TestApiProvider>,
  );
}

/** The field with its value held the way the form holds it. */
const Controlled = ({ onChange, ...rest }: Props) => {
  const [value, setValue] = useState<FabricCapacityPickerValue | undefined>(
    rest.formData,
  );
  return (
    <FabricCapacityPicker
      {...rest}
      formData={value}
      onChange={next => {
        setValue(next);
        onChange(next);
      }}
    />
  );
};

/** The extensions a `<ScaffolderFieldExtensions>` child list registers, as the scaffolder page collects them. */
const Extensions = ({
  children,
  render: show,
}: {
  children: ReactNode;
  render: (extensions: any[]) => JSX.Element;
}) =>
  show(
    useCustomFieldExtensions(
      <ScaffolderFieldExtensions>{children}</ScaffolderFieldExtensions>,
    ),
  );

/** The row of the picker's table whose radio is named `label`. */
function rowOf(label: string): HTMLElement {
  return screen
    .getByRole('radio', { name: label })
    .closest('tr') as HTMLElement;
}

const cellTexts = (row: HTMLElement) =>
  within(row)
    .getAllByRole('cell')
    .map(c => c.textContent);

describe('FabricCapacityPicker', () => {
  it('lists regions and AZ-IDs with local names, GPUs for the gang and cheapest price', async () => {
    const api = { capacity: jest.fn().mockResolvedValue(h100EfaCapacity) };
    await render(api, props());

    expect(
      await screen.findByRole('radio', { name: 'use1-az4 in us-east-1' }),
    ).toBeInTheDocument();
    expect(api.capacity).toHaveBeenCalledWith({
      intent: 'tightly-coupled',
      gpu: 'H100',
    });
    expect(screen.getByText('Where to run')).toBeVisible();
    expect(screen.getByTestId('fabric-capacity-need')).toHaveTextContent(
      'Need: 16 H100 GPUs for tightly-coupled work: the whole gang in one AZ-ID, on one EFA-capable type, reserved or on-demand.',
    );
    expect(screen.getByText('demo estate')).toBeVisible();
    expect(screen.getByText('GPUs for one gang')).toBeVisible();

    expect(cellTexts(rowOf('us-east-1, any AZ-ID'))).toEqual([
      '',
      'us-east-1 (any AZ-ID)',
      '',
      '128',
      '$3.93',
      'yes',
    ]);
    // The AZ-ID first, each account's own name for the same zone beside it.
    expect(cellTexts(rowOf('use1-az4 in us-east-1'))).toEqual([
      '',
      'use1-az4',
      'ml-platform-hub: us-east-1c · ml-research: us-east-1b',
      '128',
      '$3.93',
      'yes',
    ]);
    // us-west-2 has only spot H100s: nothing for a gang.
    expect(cellTexts(rowOf('usw2-az2 in us-west-2'))).toEqual([
      '',
      'usw2-az2',
      'ml-inference: us-west-2c',
      '0',
      '—',
      'short by 16',
    ]);
    expect(screen.getByRole('radio', { name: 'No preference' })).toBeChecked();
  });

  it('stores the region, or the region and the AZ-ID', async () => {
    const onChange = jest.fn();
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            fabricApiRef,
            { capacity: jest.fn().mockResolvedValue(h100EfaCapacity) },
          ],
        ]}
      >
        <Controlled {...props({ onChange })} />
      </TestApiProvider>,
    );

    fireEvent.click(
      await screen.findByRole('radio', { name: 'use1-az4 in us-east-1' }),
    );
    expect(onChange).toHaveBeenLastCalledWith({
      region: 'us-east-1',
      azId: 'use1-az4',
    });
    fireEvent.click(
      screen.getByRole('radio', { name: 'us-west-2, any AZ-ID' }),
    );
    expect(onChange).toHaveBeenLastCalledWith({ region: 'us-west-2' });
    expect(
      screen.getByRole('radio', { name: 'us-west-2, any AZ-ID' }),
    ).toBeChecked();
    expect(screen.getByText('Chosen: us-west-2 (any AZ-ID)')).toBeVisible();
    fireEvent.click(screen.getByRole('radio', { name: 'No preference' }));
    expect(onChange).toHaveBeenLastCalledWith(undefined);
  });

  it('shows the current choice', async () => {
    await render(
      { capacity: jest.fn().mockResolvedValue(h100EfaCapacity) },
      props({
        formData: { region: 'us-east-1', azId: 'use1-az4' },
        required: true,
      }),
    );
    expect(
      await screen.findByRole('radio', { name: 'use1-az4 in us-east-1' }),
    ).toBeChecked();
    expect(screen.getByText('Chosen: use1-az4 in us-east-1')).toBeVisible();
    // A required field offers no way out.
    expect(
      screen.queryByRole('radio', { name: 'No preference' }),
    ).not.toBeInTheDocument();
  });

  it('says what is missing from the form, and queries all capacity meanwhile', async () => {
    const api = { capacity: jest.fn().mockResolvedValue(h100EfaCapacity) };
    await render(
      api,
      props({ formContext: { formData: { gpu: 'p5.48xlarge' } } }),
    );
    expect(
      await screen.findByRole('radio', { name: 'use1-az4 in us-east-1' }),
    ).toBeInTheDocument();
    expect(api.capacity).toHaveBeenCalledWith({ family: 'p5' });
    expect(screen.getByTestId('fabric-capacity-need')).toHaveTextContent(
      'Need: p5.48xlarge GPUs. Fill in the intent and total GPUs to check the choice against the need.',
    );
    expect(screen.getByText('GPUs within quota')).toBeVisible();
    expect(cellTexts(rowOf('use1-az4 in us-east-1'))[5]).toBe('—');
  });

  it('shows the backend error', async () => {
    await render(
      { capacity: jest.fn().mockRejectedValue(new Error('Failed to fetch')) },
      props(),
    );
    const panel = await screen.findByRole('alert');
    expect(within(panel).getByText('Error: Failed to fetch')).toBeVisible();
  });
});

describe('FabricCapacityPickerFieldExtension', () => {
  // The stepper scrolls to the top on each step; jsdom has no layout to scroll.
  beforeEach(() => {
    window.scrollTo = jest.fn() as typeof window.scrollTo;
  });

  it('registers the FabricCapacityPicker field with its validation', async () => {
    let registered: any[] = [];
    await renderInTestApp(
      <Extensions
        render={extensions => {
          registered = extensions;
          return <div>collected</div>;
        }}
      >
        <FabricCapacityPickerFieldExtension />
      </Extensions>,
    );
    expect(registered).toEqual([
      expect.objectContaining({
        name: 'FabricCapacityPicker',
        component: FabricCapacityPicker,
        validation: expect.any(Function),
      }),
    ]);
  });

  it('in a template form, reads the other fields and blocks a gang its AZ-ID cannot hold', async () => {
    const capacity = {
      ...h100EfaCapacity,
      staleCells: [],
      rows: [
        capacityRow(
          'hub',
          'us-east-1',
          'use1-az2',
          'us-east-1a',
          'p5.48xlarge',
          'on-demand',
          55.04,
          1,
        ),
        capacityRow(
          'hub',
          'us-east-1',
          'use1-az4',
          'us-east-1c',
          'p5.48xlarge',
          'on-demand',
          55.04,
          4,
        ),
      ],
      takenAt: TAKEN_AT,
    };
    const api = { capacity: jest.fn().mockResolvedValue(capacity) };
    const onCreate = jest.fn();
    await renderInTestApp(
      <TestApiProvider apis={[[fabricApiRef, api]]}>
        <Extensions
          render={extensions => (
            <Stepper
              extensions={extensions}
              onCreate={onCreate}
              initialState={{
                intent: 'tightly-coupled',
                gpu: 'H100',
                totalGpus: 16,
              }}
              manifest={{
                title: 'EFA training island',
                steps: [
                  {
                    title: 'Workload',
                    schema: {
                      type: 'object',
                      required: ['intent', 'gpu', 'totalGpus', 'where'],
                      properties: {
                        intent: {
                          type: 'string',
                          enum: ['throughput', 'tightly-coupled', 'balanced'],
                        },
                        gpu: { type: 'string' },
                        totalGpus: { type: 'integer' },
                        where: {
                          title: 'Region and AZ-ID',
                          type: 'object',
                          'ui:field': 'FabricCapacityPicker',
                        },
                      },
                    },
                  },
                ],
              }}
            />
          )}
        >
          <FabricCapacityPickerFieldExtension />
        </Extensions>
      </TestApiProvider>,
    );

    fireEvent.click(
      await screen.findByRole('radio', { name: 'use1-az2 in us-east-1' }),
    );
    expect(screen.getByText('Chosen: use1-az2 in us-east-1')).toBeVisible();
    fireEvent.click(screen.getByRole('button', { name: 'Review' }));
    const message =
      'use1-az2 has 8 H100 GPUs within quota for tightly-coupled work; the workload asks for 16 (a tightly-coupled gang must fit in this one AZ-ID)';
    expect(
      (await screen.findAllByText(message, { exact: false })).length,
    ).toBeGreaterThan(0);
    expect(api.capacity).toHaveBeenCalledWith({
      intent: 'tightly-coupled',
      gpu: 'H100',
    });

    // use1-az4 holds 32: the form moves on to review.
    fireEvent.click(
      screen.getByRole('radio', { name: 'use1-az4 in us-east-1' }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Review' }));
    await waitFor(() =>
      expect(
        screen.queryByText(message, { exact: false }),
      ).not.toBeInTheDocument(),
    );
    expect(
      await screen.findByRole('button', { name: 'Create' }),
    ).toBeInTheDocument();
  });
});
