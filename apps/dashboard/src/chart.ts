import {
  type CandlestickData,
  CandlestickSeries,
  createChart,
  type HistogramData,
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  LineSeries,
  type UTCTimestamp,
} from 'lightweight-charts';
import { type BarTable, barOfRow, barsOf, barTable, type ChartBar, type Interval, VwapLine } from './bars.js';
import { obj, str } from './json.js';

const UP = '#26a269';
const DOWN = '#c01c28';
const FORMING = 'rgba(128, 128, 128, 0.55)';

/** Colours the chart takes from the page's theme. */
export interface ChartTheme {
  readonly background: string;
  readonly text: string;
  readonly grid: string;
}

function candle(bar: ChartBar, forming: boolean): CandlestickData<UTCTimestamp> {
  const time = bar.time as UTCTimestamp;
  const base = { time, open: bar.open, high: bar.high, low: bar.low, close: bar.close };
  return forming ? { ...base, color: 'rgba(0,0,0,0)', borderColor: FORMING, wickColor: FORMING } : base;
}

function volumeBar(bar: ChartBar, forming: boolean): HistogramData<UTCTimestamp> {
  const color = forming ? FORMING : bar.close >= bar.open ? `${UP}80` : `${DOWN}80`;
  return { time: bar.time as UTCTimestamp, value: bar.volume, color };
}

/**
 * Candles, volume and the session VWAP of one symbol at one interval, drawn from `current_bars`. A change
 * that only appended rows (a day as it replays) is drawn with `update` for the new rows; anything else (a
 * new symbol, interval, day or run) redraws the whole series.
 */
export class ChartView {
  readonly #chart: IChartApi;
  readonly #candles: ISeriesApi<'Candlestick'>;
  readonly #volume: ISeriesApi<'Histogram'>;
  readonly #vwap: ISeriesApi<'Line'>;
  #symbol: string | undefined;
  #interval: Interval = '1m';
  #date: string | undefined;
  #table: unknown;
  #rowsDrawn = 0;
  #formingTime: number | undefined;
  #vwapLine = new VwapLine('1m');
  /** Full redraws since the page loaded (the rest were appends). */
  redraws = 0;

  constructor(
    element: HTMLElement,
    private readonly onMessage: (text: string) => void,
  ) {
    this.#chart = createChart(element, {
      autoSize: true,
      timeScale: { timeVisible: true, secondsVisible: false },
      localization: { timeFormatter: (t: number) => new Date(t * 1000).toISOString().slice(11, 16) },
    });
    this.#candles = this.#chart.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      borderUpColor: UP,
      borderDownColor: DOWN,
      wickUpColor: UP,
      wickDownColor: DOWN,
    });
    this.#candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.28 } });
    this.#volume = this.#chart.addSeries(HistogramSeries, {
      priceScaleId: 'volume',
      priceFormat: { type: 'volume' },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    this.#volume.priceScale().applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
    this.#vwap = this.#chart.addSeries(LineSeries, {
      color: '#e5a50a',
      lineWidth: 2,
      title: 'VWAP',
      priceLineVisible: false,
    });
  }

  /** Applies the page's colours. */
  theme(theme: ChartTheme): void {
    this.#chart.applyOptions({
      layout: { background: { color: theme.background }, textColor: theme.text },
      grid: { vertLines: { color: theme.grid }, horzLines: { color: theme.grid } },
    });
  }

  /** Candles drawn now (forming one included) — what the page's tests count. */
  candleCount(): number {
    return this.#candles.data().length;
  }

  /** Whether the last candle drawn is the forming bucket. */
  formingDrawn(): boolean {
    return this.#formingTime !== undefined;
  }

  /** The last VWAP point drawn, or null. */
  lastVwap(): number | null {
    const last = this.#vwap.data().at(-1);
    return last !== undefined && 'value' in last ? last.value : null;
  }

  /** Shows `symbolName`'s bars at `interval` from the symbol's state (the same objects skip all work). */
  show(symbolName: string, interval: Interval, symbolState: unknown): void {
    const table = barTable(symbolState, interval);
    const oneMinute = barTable(symbolState, '1m');
    const date = str(obj(symbolState)?.date);
    if (table === undefined || oneMinute === undefined || date === null) {
      if (this.#table !== undefined || this.#symbol !== symbolName) this.#clear();
      this.#symbol = symbolName;
      this.onMessage(
        symbolState === undefined
          ? `${symbolName}: not in the state`
          : `${symbolName}: no bars — the chart needs the debug face (turn debug on)`,
      );
      return;
    }
    if (table.rows === this.#table && interval === this.#interval && symbolName === this.#symbol) {
      // Rows unchanged; only the forming bucket may have moved.
      if (!this.#drawForming(table, date)) this.#redraw(symbolName, interval, date, table, oneMinute);
      return;
    }
    const appendOnly =
      symbolName === this.#symbol &&
      interval === this.#interval &&
      date === this.#date &&
      table.rows.length >= this.#rowsDrawn &&
      oneMinute.rows.length >= this.#vwapLine.taken;
    if (!appendOnly) {
      this.#redraw(symbolName, interval, date, table, oneMinute);
      return;
    }
    for (const bar of barsOf(table, date, this.#rowsDrawn)) {
      this.#candles.update(candle(bar, false));
      this.#volume.update(volumeBar(bar, false));
    }
    if (table.rows.length > this.#rowsDrawn) this.#formingTime = undefined;
    this.#rowsDrawn = table.rows.length;
    this.#table = table.rows;
    for (const point of this.#vwapLine.take(barsOf(oneMinute, date, this.#vwapLine.taken)))
      this.#vwap.update({ time: point.time as UTCTimestamp, value: point.value });
    if (!this.#drawForming(table, date)) this.#redraw(symbolName, interval, date, table, oneMinute);
  }

  /** Draws the forming bucket; false when only a redraw can show the table (a forming bar vanished). */
  #drawForming(table: BarTable, date: string): boolean {
    const forming = table.forming === null ? null : barOfRow(table.columns, table.forming, date);
    if (forming === null) return this.#formingTime === undefined;
    if (forming.time < (this.#formingTime ?? 0)) return false;
    this.#candles.update(candle(forming, true));
    this.#volume.update(volumeBar(forming, true));
    this.#formingTime = forming.time;
    return true;
  }

  #redraw(symbolName: string, interval: Interval, date: string, table: BarTable, oneMinute: BarTable): void {
    this.redraws++;
    this.#symbol = symbolName;
    this.#interval = interval;
    this.#date = date;
    this.#table = table.rows;
    this.#rowsDrawn = table.rows.length;
    this.#formingTime = undefined;
    const bars = barsOf(table, date);
    const candles = bars.map((b) => candle(b, false));
    const volumes = bars.map((b) => volumeBar(b, false));
    const forming = table.forming === null ? null : barOfRow(table.columns, table.forming, date);
    if (forming !== null && (bars.length === 0 || forming.time > (bars.at(-1)?.time ?? 0))) {
      candles.push(candle(forming, true));
      volumes.push(volumeBar(forming, true));
      this.#formingTime = forming.time;
    }
    this.#candles.setData(candles);
    this.#volume.setData(volumes);
    this.#vwapLine = new VwapLine(interval);
    this.#vwap.setData(
      this.#vwapLine
        .take(barsOf(oneMinute, date))
        .map((p) => ({ time: p.time as UTCTimestamp, value: p.value })),
    );
    this.onMessage(bars.length === 0 && forming === null ? `${symbolName}: no regular-session bars yet` : '');
  }

  #clear(): void {
    this.#candles.setData([]);
    this.#volume.setData([]);
    this.#vwap.setData([]);
    this.#table = undefined;
    this.#rowsDrawn = 0;
    this.#formingTime = undefined;
    this.#vwapLine = new VwapLine(this.#interval);
  }
}
