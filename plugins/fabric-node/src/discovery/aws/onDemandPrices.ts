/**
 * Approximate on-demand Linux list prices, USD per instance-hour, us-east-1.
 *
 * Why a table: no EC2 API returns an on-demand price. The AWS Price List API does, but it
 * is a separate service with large responses and is out of scope for discovery for now.
 * The figures are approximate, from AWS's public pricing pages (the demo estate uses the
 * same numbers for the types it shows), and are applied to every region, where real
 * prices are often somewhat higher. Offerings priced from here say
 * `priceSource: 'built-in-table'`.
 *
 * A type missing here gets no on-demand offering at all (the cell records a warning)
 * rather than a made-up price: a 0 would rank it as the cheapest capacity in the estate.
 * Re-check these before they drive money decisions.
 */
export const onDemandListPrices: Readonly<Record<string, number>> = {
  'p5.48xlarge': 55.04,
  'p5e.48xlarge': 63.3,
  'p5en.48xlarge': 66.32,
  'p4d.24xlarge': 21.96,
  'p4de.24xlarge': 27.45,
  'g5.xlarge': 1.006,
  'g5.2xlarge': 1.212,
  'g5.4xlarge': 1.624,
  'g5.8xlarge': 2.448,
  'g5.12xlarge': 5.672,
  'g5.16xlarge': 4.096,
  'g5.24xlarge': 8.144,
  'g5.48xlarge': 16.288,
  'g6.xlarge': 0.805,
  'g6.2xlarge': 0.978,
  'g6.4xlarge': 1.323,
  'g6.8xlarge': 2.014,
  'g6.12xlarge': 4.602,
  'g6.16xlarge': 3.397,
  'g6.24xlarge': 6.676,
  'g6.48xlarge': 13.35,
  'g6e.xlarge': 1.861,
  'g6e.2xlarge': 2.242,
  'g6e.4xlarge': 3.004,
  'g6e.8xlarge': 4.529,
  'g6e.12xlarge': 10.493,
  'g6e.16xlarge': 7.577,
  'g6e.24xlarge': 15.066,
  'g6e.48xlarge': 30.131,
  'trn1.2xlarge': 1.344,
  'trn1.32xlarge': 21.5,
  'trn1n.32xlarge': 24.78,
};

/** Looks up a type's on-demand price; `undefined` when the table does not know it. */
export type OnDemandPriceLookup = (instanceType: string, region: string) => number | undefined;

export const builtInOnDemandPrice: OnDemandPriceLookup = instanceType => onDemandListPrices[instanceType];
