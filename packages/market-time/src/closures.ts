import type { IsoDate } from './days.js';

/** A full-day market closure that no rule predicts, with where the fact comes from. */
export interface OneOffClosure {
  readonly date: IsoDate;
  readonly name: string;
  /** Where the closure is documented, so a reader can check it. */
  readonly source: string;
}

/**
 * Unscheduled full-day NYSE closures since 2000 (the calendar's first year). Days of mourning and
 * emergencies are announced days ahead at most, so this table is only current through
 * {@link ONE_OFF_TABLE_KNOWN_THROUGH}; later dates use the rules alone and carry a warning.
 */
export const ONE_OFF_CLOSURES: readonly OneOffClosure[] = [
  ...['2001-09-11', '2001-09-12', '2001-09-13', '2001-09-14'].map((date) => ({
    date,
    name: 'September 11 attacks',
    source: 'NYSE and SEC: US equity markets closed 2001-09-11 through 2001-09-14 and reopened 2001-09-17',
  })),
  {
    date: '2004-06-11',
    name: 'National Day of Mourning for President Ronald Reagan',
    source: 'NYSE closure notice; day of mourning proclaimed by President George W. Bush',
  },
  {
    date: '2007-01-02',
    name: 'National Day of Mourning for President Gerald R. Ford',
    source: 'NYSE closure notice; day of mourning proclaimed by President George W. Bush',
  },
  ...['2012-10-29', '2012-10-30'].map((date) => ({
    date,
    name: 'Hurricane Sandy',
    source:
      'NYSE Euronext notice: markets closed 2012-10-29 and 2012-10-30 for Hurricane Sandy, reopened 2012-10-31',
  })),
  {
    date: '2018-12-05',
    name: 'National Day of Mourning for President George H. W. Bush',
    source: 'NYSE closure notice; day of mourning proclaimed by President Donald Trump',
  },
  {
    date: '2025-01-09',
    name: 'National Day of Mourning for President Jimmy Carter',
    source: 'NYSE and Nasdaq closure notices; day of mourning proclaimed by President Joe Biden',
  },
];

/**
 * The date through which {@link ONE_OFF_CLOSURES} is known to be complete: the last full year it was
 * checked against (2025, which has the 2025-01-09 closure and no other). Move it forward only after
 * checking NYSE's announcements for the added span.
 */
export const ONE_OFF_TABLE_KNOWN_THROUGH: IsoDate = '2025-12-31';
