/** Key of per-(type, AZ-ID) facts within one cell. */
export function typeAzKey(instanceType: string, azId: string): string {
  return `${instanceType}@${azId}`;
}
