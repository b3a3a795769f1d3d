/**
 * Words shared by the extension's notifications. A module of its own, so that a panel loaded at
 * activation (the graph) can use them without pulling in the lazily loaded export bundle.
 */

/** The button that shows a written file in the Explorer (`revealInExplorer`). */
export const REVEAL = 'Reveal in Explorer';
