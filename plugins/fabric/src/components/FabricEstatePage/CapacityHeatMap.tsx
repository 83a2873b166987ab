import { createContext, KeyboardEvent, useContext, useMemo } from 'react';
import useMeasure from 'react-use/esm/useMeasure';
import { CellComponentProps, DefaultHeatMapDatum, HeatMap } from '@nivo/heatmap';
import { useTheme } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';

/** One region × GPU group of `GET /capacity`. */
export interface HeatMapGroup {
  region: string;
  gpu: string;
  gpus: number;
}

type Selection = { region: string; gpu: string } | undefined;

const SelectionContext = createContext<{
  selected: Selection;
  onSelect: (region: string, gpu: string) => void;
}>({ selected: undefined, onSelect: () => {} });

const LEFT = 96;
const TOP = 36;
/** Column width when the container cannot be measured (tests), and the narrowest allowed. */
const CELL_WIDTH = 84;
const MIN_CELL_WIDTH = 56;
/** The lowest a row may be. */
const CELL_HEIGHT = 36;

/** `us-east-1 × H100: 96 GPUs within quota`, what a cell says to assistive technology and on hover. */
export function cellLabel(region: string, gpu: string, gpus: number | null): string {
  return gpus === null
    ? `${region} × ${gpu}: not offered`
    : `${region} × ${gpu}: ${gpus} GPUs within quota`;
}

/** Black or white, whichever reads better on an `rgb(r, g, b)` or `#rrggbb` fill. */
export function readableOn(color: string): string {
  const rgb = color.startsWith('#')
    ? [1, 3, 5].map(i => parseInt(color.slice(i, i + 2), 16))
    : (color.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
  if (rgb.length < 3 || rgb.some(c => !Number.isFinite(c))) return '#000';
  const [r, g, b] = rgb.map(c => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? '#000' : '#fff';
}

/**
 * A heat-map cell that is a button: selectable with the mouse and the keyboard, named
 * for screen readers, outlined when selected. Drawn without animation.
 */
const Cell = ({ cell, borderWidth, enableLabels }: CellComponentProps<DefaultHeatMapDatum>) => {
  const { selected, onSelect } = useContext(SelectionContext);
  const theme = useTheme();
  const region = cell.serieId;
  const gpu = String(cell.data.x);
  const empty = cell.value === null;
  const isSelected = selected?.region === region && selected?.gpu === gpu;
  const label = cellLabel(region, gpu, cell.value);
  const inset = isSelected ? 1.5 : 0;
  const choose = () => onSelect(region, gpu);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      choose();
    }
  };
  return (
    <g
      transform={`translate(${cell.x}, ${cell.y})`}
      {...(empty
        ? { role: 'img', 'aria-label': label }
        : {
            role: 'button',
            'aria-label': label,
            'aria-pressed': isSelected,
            tabIndex: 0,
            onClick: choose,
            onKeyDown,
            style: { cursor: 'pointer' },
          })}
    >
      <title>{label}</title>
      <rect
        // A selected cell's outline is drawn inside it, so neighbours drawn later cannot cover it.
        x={cell.width * -0.5 + inset}
        y={cell.height * -0.5 + inset}
        width={Math.max(0, cell.width - 2 * inset)}
        height={Math.max(0, cell.height - 2 * inset)}
        fill={cell.color}
        stroke={isSelected ? theme.palette.secondary.main : cell.borderColor}
        strokeWidth={isSelected ? 3 : borderWidth}
      />
      {enableLabels && !empty && (
        <text
          textAnchor="middle"
          dominantBaseline="central"
          fill={readableOn(cell.color)}
          style={{ fontSize: 12, pointerEvents: 'none', userSelect: 'none' }}
        >
          {cell.label}
        </text>
      )}
    </g>
  );
};

/**
 * Regions × GPU types, coloured by GPUs within quota. Selecting a cell selects that
 * region × GPU (the same drill-down as the table). As wide as its card; where the card
 * cannot be measured (tests) a fixed size. Estates too wide for the card scroll sideways.
 */
export const CapacityHeatMap = ({
  groups,
  selected,
  onSelect,
}: {
  groups: HeatMapGroup[];
  selected: Selection;
  onSelect: (region: string, gpu: string) => void;
}) => {
  const theme = useTheme();
  const { data, gpus, regions } = useMemo(() => {
    const regionNames = [...new Set(groups.map(g => g.region))].sort();
    // Most GPUs first, so the big pools sit on the left.
    const totals = new Map<string, number>();
    for (const g of groups) totals.set(g.gpu, (totals.get(g.gpu) ?? 0) + g.gpus);
    const gpuNames = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
    return {
      regions: regionNames,
      gpus: gpuNames,
      data: regionNames.map(region => ({
        id: region,
        data: gpuNames.map(gpu => ({
          x: gpu,
          y: groups.find(g => g.region === region && g.gpu === gpu)?.gpus ?? null,
        })),
      })),
    };
  }, [groups]);
  const context = useMemo(() => ({ selected, onSelect }), [selected, onSelect]);
  const [measureRef, { width: measured }] = useMeasure<HTMLDivElement>();

  if (groups.length === 0) {
    return <Typography variant="body2">No GPU offerings in the inventory.</Typography>;
  }
  // The card's width where it can be measured (never narrower than readable cells); a
  // fixed width where it cannot, as in jsdom.
  const width =
    measured > 0
      ? Math.max(LEFT + gpus.length * MIN_CELL_WIDTH + 16, Math.floor(measured))
      : LEFT + gpus.length * CELL_WIDTH + 16;
  // As tall as the price chart beside it while rows stay under 80 px; more rows grow it.
  const height = Math.max(TOP + regions.length * CELL_HEIGHT + 8, Math.min(280, TOP + regions.length * 80 + 8));
  const text = theme.palette.text.primary;
  return (
    <SelectionContext.Provider value={context}>
      <div ref={measureRef} style={{ overflowX: 'auto' }}>
        <HeatMap<DefaultHeatMapDatum, {}>
          data={data}
          width={width}
          height={height}
          margin={{ top: TOP, right: 16, bottom: 8, left: LEFT }}
          axisTop={{ tickSize: 0, tickPadding: 8 }}
          axisLeft={{ tickSize: 0, tickPadding: 8 }}
          axisRight={null}
          axisBottom={null}
          colors={{ type: 'sequential', scheme: 'blues', minValue: 0 }}
          emptyColor={theme.palette.action.disabledBackground}
          borderWidth={1}
          borderColor={theme.palette.background.paper}
          cellComponent={Cell}
          animate={false}
          isInteractive={false}
          theme={{ text: { fill: text }, axis: { ticks: { text: { fill: text } } } }}
          role="group"
          ariaLabel="GPUs within quota by region (rows) and GPU type (columns)"
        />
      </div>
    </SelectionContext.Provider>
  );
};
