// VRRP timers from RFC 5798 section 6.1 (v3) and RFC 3768 section 6.1 (v2). Pure arithmetic.
//
// Both RFCs define the same expressions; they differ in the unit of the advertisement interval on the
// wire (v2: whole seconds in 8 bits, v3: centiseconds in 12 bits). Here every interval is given in
// centiseconds, and results are exact milliseconds: no rounding is applied that the RFC text does not
// state, so that a measured takeover can be compared with the formula itself.

/** Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256, in milliseconds. */
export function skewTimeMs(priority: number, masterAdverIntervalCs: number): number {
  return ((256 - priority) * masterAdverIntervalCs * 10) / 256;
}

/** Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time, in milliseconds. */
export function masterDownIntervalMs(priority: number, masterAdverIntervalCs: number): number {
  return 3 * masterAdverIntervalCs * 10 + skewTimeMs(priority, masterAdverIntervalCs);
}
