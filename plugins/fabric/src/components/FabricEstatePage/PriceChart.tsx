import { useMemo } from 'react';
import useMeasure from 'react-use/esm/useMeasure';
import {
  Bar,
  BarChart,
  CartesianGrid,
  LabelList,
  Legend,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useTheme } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import { CapacityResponse } from '@internal/backstage-plugin-fabric-common';
import { usd } from '../shared/format';

export const SPOT_SERIES = 'Cheapest spot $/GPU-h';
export const ON_DEMAND_SERIES = 'Cheapest on-demand $/GPU-h';

/** One bar group: a GPU type's cheapest spot and on-demand price per GPU-hour anywhere. */
export interface GpuPrice {
  gpu: string;
  spot?: number;
  onDemand?: number;
}

/** The cheapest price per GPU-hour of each GPU type across regions, among offerings within quota. */
export function pricesByGpu(groups: CapacityResponse['byRegionAndGpu']): GpuPrice[] {
  const prices = new Map<string, GpuPrice>();
  for (const g of groups) {
    const price = prices.get(g.gpu) ?? { gpu: g.gpu };
    if (g.cheapestSpotPerGpuHour !== undefined) {
      price.spot = Math.min(price.spot ?? Infinity, g.cheapestSpotPerGpuHour);
    }
    if (g.cheapestOnDemandPerGpuHour !== undefined) {
      price.onDemand = Math.min(price.onDemand ?? Infinity, g.cheapestOnDemandPerGpuHour);
    }
    prices.set(g.gpu, price);
  }
  // Dearest first: the H100s people ask about lead.
  return [...prices.values()].sort(
    (a, b) =>
      Math.max(b.spot ?? 0, b.onDemand ?? 0) - Math.max(a.spot ?? 0, a.onDemand ?? 0) ||
      a.gpu.localeCompare(b.gpu),
  );
}

const dollars = (value: unknown) => (typeof value === 'number' ? usd(value) : '');

/**
 * Spot against on-demand, per GPU type: the cheapest price per GPU-hour within quota
 * anywhere in the estate. As wide as its card, or a fixed size where it cannot be measured.
 */
export const PriceChart = ({ groups }: { groups: CapacityResponse['byRegionAndGpu'] }) => {
  const theme = useTheme();
  const data = useMemo(() => pricesByGpu(groups), [groups]);
  const [measureRef, { width: measured }] = useMeasure<HTMLDivElement>();
  if (data.length === 0) {
    return <Typography variant="body2">No prices: no GPU offerings within quota.</Typography>;
  }
  // The card's width where it can be measured, a fixed one where it cannot (jsdom).
  const width =
    measured > 0 ? Math.max(96 + data.length * 64, Math.floor(measured)) : Math.max(360, 96 + data.length * 110);
  const text = theme.palette.text.primary;
  const series: Array<{ key: keyof GpuPrice; name: string; fill: string }> = [
    { key: 'spot', name: SPOT_SERIES, fill: theme.palette.success.main },
    { key: 'onDemand', name: ON_DEMAND_SERIES, fill: theme.palette.primary.main },
  ];
  return (
    <div ref={measureRef} style={{ overflowX: 'auto' }}>
      <BarChart
        width={width}
        height={280}
        data={data}
        margin={{ top: 24, right: 16, bottom: 8, left: 8 }}
        title="Cheapest spot and on-demand price per GPU-hour by GPU type"
        accessibilityLayer
      >
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="gpu" tick={{ fill: text }} />
        <YAxis tickFormatter={v => `$${v}`} tick={{ fill: text }} width={56} />
        <Tooltip formatter={dollars} />
        <Legend itemSorter={item => (item.value === SPOT_SERIES ? 0 : 1)} />
        {series.map(({ key, name, fill }) => (
          <Bar key={key} dataKey={key} name={name} fill={fill} isAnimationActive={false}>
            <LabelList dataKey={key} position="top" formatter={dollars} fill={text} fontSize={11} />
          </Bar>
        ))}
      </BarChart>
    </div>
  );
};
