/**
 * Form controls shared by the webviews: plain HTML elements styled like VS Code's own widgets by
 * media/controls.css, from the `--vscode-*` theme variables (light, dark and high contrast).
 * Native elements keep the platform's keyboard behaviour (Tab, Enter and Space on buttons, arrow
 * keys in a select, Space on a checkbox) and accessibility without a component library
 * (decision 0012).
 */
import { h } from './dom';

export type Appearance = 'primary' | 'secondary' | 'icon';

/** A `<button type="button">` in one of VS Code's three button styles. */
export function button(
  label: string,
  attrs: Record<string, string>,
  appearance: Appearance = 'secondary',
): HTMLButtonElement {
  const { class: extra, ...rest } = attrs;
  const cls = `vsc-button vsc-${appearance}${extra ? ` ${extra}` : ''}`;
  return h('button', { type: 'button', class: cls, ...rest }, label);
}

/** A single-line text input. */
export function textField(attrs: Record<string, string>): HTMLInputElement {
  return h('input', { type: 'text', class: 'vsc-input', spellcheck: 'false', ...attrs });
}

/** A drop-down list; fill it with {@link option}. */
export function select(attrs: Record<string, string>): HTMLSelectElement {
  return h('select', { class: 'vsc-select', ...attrs });
}

export function option(value: string, label: string, title?: string): HTMLOptionElement {
  return h('option', { value, ...(title ? { title } : {}) }, label);
}

/** A checkbox (the input carries the id and the state); {@link withLabel} puts text after it. */
export function checkbox(attrs: Record<string, string>): HTMLInputElement {
  const { class: extra, ...rest } = attrs;
  const cls = `vsc-checkbox${extra ? ` ${extra}` : ''}`;
  return h('input', { type: 'checkbox', class: cls, ...rest });
}

export function withLabel(input: HTMLInputElement, text: string): HTMLLabelElement {
  return h('label', { class: 'vsc-check' }, input, text);
}

/** A control with its label above it (the layout of VS Code's settings forms). */
export function labelled(text: string, el: HTMLElement): HTMLElement {
  return h('div', { class: 'labelled' }, h('label', { for: el.id }, text), el);
}
