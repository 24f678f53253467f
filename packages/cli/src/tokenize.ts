import { UsageError } from './errors.js';

/** A line split into words, plus what completion needs about its end. */
export interface Tokens {
  readonly words: string[];
  /** The line ends inside a word (no trailing blank), so the last word is still being typed. */
  readonly open: boolean;
}

/**
 * Splits a REPL line into words the way a POSIX shell does for plain words: blanks separate, 'single
 * quotes' keep everything, "double quotes" keep everything but `\"` and `\\`, a backslash outside quotes
 * escapes the next character. With `partial`, an unterminated quote is allowed (the line is being typed).
 */
export function tokenize(line: string, options: { partial?: boolean } = {}): Tokens {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line.charAt(++i);
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < line.length) word += line.charAt(++i);
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined && options.partial !== true) {
    throw new UsageError(`unterminated ${quote === "'" ? 'single' : 'double'} quote in: ${line}`);
  }
  if (inWord) words.push(word);
  return { words, open: inWord };
}
