// A page clausewatch cannot read (a browser page, a viewer it may not enter): the popup says why.
export class PageError extends Error {
  constructor(message) {
    super(message);
    this.kind = "page";
  }
}
