/**
 * An ARIA tab list: click or arrow keys (Home/End too) select a tab; only the
 * selected tab is in the Tab order; its panel shows.
 */
export function setupTabs(tablist: HTMLElement, onSelect: (id: string) => void = () => {}): (id: string) => void {
  const tabs = [...tablist.querySelectorAll<HTMLButtonElement>("[role=tab]")];
  const select = (tab: HTMLButtonElement, focus = false): void => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(t.getAttribute("aria-controls") ?? "");
      if (panel) panel.hidden = !on;
    }
    if (focus) tab.focus();
    onSelect(tab.id);
  };
  for (const tab of tabs) tab.addEventListener("click", () => select(tab));
  tablist.addEventListener("keydown", (event: KeyboardEvent) => {
    const index = tabs.indexOf(document.activeElement as HTMLButtonElement);
    if (index < 0) return;
    const next = {
      ArrowRight: (index + 1) % tabs.length, ArrowLeft: (index - 1 + tabs.length) % tabs.length,
      Home: 0, End: tabs.length - 1,
    }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    select(tabs[next], true);
  });
  select(tabs.find((t) => t.getAttribute("aria-selected") === "true") ?? tabs[0]);
  return (id) => {
    const tab = tabs.find((t) => t.id === id);
    if (tab) select(tab);
  };
}
