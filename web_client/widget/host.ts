import type { PartySettings } from "../src/index";
import { h, setText, uid } from "../ui/dom";
import type { WidgetContext } from "./context";
import { describeError } from "./format";

type Changes = Partial<Omit<PartySettings, "type">>;

/** Settings only the host (or staff) may change; roles are changed in the member list. */
export function hostSection(ctx: WidgetContext): HTMLElement {
  const { t } = ctx;
  const ids = { heading: uid("host"), everyone: uid("ctl-everyone"), hosts: uid("ctl-hosts"), wait: uid("wait"), cameras: uid("cameras") };
  const radioName = uid("control");
  const alert = h("p", { class: "ssw-error", role: "alert" });
  const everyone = h("input", { id: ids.everyone, type: "radio", name: radioName, value: "everyone" });
  const hosts = h("input", { id: ids.hosts, type: "radio", name: radioName, value: "hosts" });
  const wait = h("input", { id: ids.wait, type: "checkbox", class: "ssw-checkbox" });
  const cameras = h("input", { id: ids.cameras, type: "checkbox", class: "ssw-checkbox ssw-allow-cameras" });

  const render = () => {
    const settings = ctx.party.info.settings;
    everyone.checked = settings.control === "everyone";
    hosts.checked = settings.control === "hosts";
    wait.checked = settings.wait_for_buffering;
    cameras.checked = settings.cameras !== false;
    section.hidden = !ctx.isHost();
    for (const input of [everyone, hosts, wait, cameras]) input.disabled = ctx.ended;
  };

  const change = (settings: Changes) => {
    ctx.party.update({ settings }).then(
      () => setText(alert, ""),
      (err) => {
        setText(alert, describeError(err, "settings", ctx.i18n));
        render(); // back to what the party really has
      },
    );
  };
  everyone.addEventListener("change", () => change({ control: "everyone" }));
  hosts.addEventListener("change", () => change({ control: "hosts" }));
  wait.addEventListener("change", () => change({ wait_for_buffering: wait.checked }));
  cameras.addEventListener("change", () => change({ cameras: cameras.checked }));

  const section = h("section", { class: "ssw-section ssw-host", "aria-labelledby": ids.heading },
    h("h3", { id: ids.heading, class: "ssw-heading" }, t("host.heading")),
    h("fieldset", { class: "ssw-fieldset" },
      h("legend", null, t("host.control_legend")),
      h("span", { class: "ssw-toggle" }, everyone, h("label", { for: ids.everyone }, t("host.control_everyone"))),
      h("span", { class: "ssw-toggle" }, hosts, h("label", { for: ids.hosts }, t("host.control_hosts")))),
    h("span", { class: "ssw-toggle" }, wait, h("label", { for: ids.wait }, t("host.wait"))),
    h("span", { class: "ssw-toggle" }, cameras,
      h("label", { for: ids.cameras }, t("host.cameras"))),
    h("p", { class: "ssw-hint" }, t("host.hint")),
    alert);

  ctx.on("party", render);
  ctx.on("members", render);
  ctx.on("joined", render);
  ctx.on("ended", render);
  render();
  return section;
}
