// The part of jstat (no published types) that the t-test uses.
declare module 'jstat' {
  const jStat: {
    readonly studentt: { cdf(x: number, dof: number): number };
  };
  export default jStat;
}
