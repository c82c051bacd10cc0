/** Line and column lookup over a text's line starts: the part of yaml's `LineCounter` that diagnostics use. */
export interface LinePositions {
  /** Offset of the first character of each line after the first (yaml's convention: line 1 starts at 0). */
  lineStarts: number[];
  /** 1-based line and column of a character offset. */
  linePos(offset: number): { line: number; col: number };
}

/**
 * {@link LinePositions} for line starts the fast front end found, answering exactly as yaml's `LineCounter` does
 * for the same starts, without loading yaml.
 */
export class LineStarts implements LinePositions {
  constructor(readonly lineStarts: number[]) {}

  linePos(offset: number): { line: number; col: number } {
    // Binary search for the first start at or after `offset`.
    let low = 0;
    let high = this.lineStarts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.lineStarts[mid] as number) < offset) low = mid + 1;
      else high = mid;
    }
    if (this.lineStarts[low] === offset) return { line: low + 1, col: 1 };
    if (low === 0) return { line: 0, col: offset };
    return { line: low, col: offset - (this.lineStarts[low - 1] as number) + 1 };
  }
}
