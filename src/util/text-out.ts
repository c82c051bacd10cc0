/** A writable text stream, as commands and reporters see stdout and stderr. */
export interface TextOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}
