/** ELK's GWT-compiled worker script (no types of its own): its fake-worker class. */
declare module 'elkjs/lib/elk-worker.min.js' {
  export class Worker {
    dispatcher: { saveDispatch(msg: { data: unknown }): void };
    onmessage: ((msg: { data: { id: number; data?: unknown; error?: unknown } }) => void) | null;
  }
}
