import { describe, expect, it } from "vitest";
import { CLIP_DRIFT_S, activeClip, clipAction, clipTimeAt, type ContentNow } from "../src/media/clipsync";

const clip = { media_url: "m", media_time: 10, duration: 5 };
const at = (position: number, playing = true, mediaUrl = "m"): ContentNow => ({ mediaUrl, position, playing });

describe("clipTimeAt", () => {
  it("is the content position minus the clip's media time, within its span", () => {
    expect(clipTimeAt(clip, at(10))).toBe(0);
    expect(clipTimeAt(clip, at(12.5))).toBe(2.5);
  });

  it("is null before, at the end and after the span, and on other media", () => {
    expect(clipTimeAt(clip, at(9.9))).toBeNull();
    expect(clipTimeAt(clip, at(15))).toBeNull();
    expect(clipTimeAt(clip, at(12, true, "other"))).toBeNull();
  });
});

describe("clipAction", () => {
  it("seeks a clip not shown yet to where it should be", () => {
    expect(clipAction(clip, at(12), null)).toEqual({ kind: "show", seekTo: 2, play: true });
  });

  it("seeks only when the clip is off by more than a quarter second", () => {
    expect(CLIP_DRIFT_S).toBe(0.25);
    expect(clipAction(clip, at(12), 2.2)).toEqual({ kind: "show", seekTo: null, play: true });
    expect(clipAction(clip, at(12), 2.3)).toEqual({ kind: "show", seekTo: 2, play: true });
    expect(clipAction(clip, at(12), 1.7)).toEqual({ kind: "show", seekTo: 2, play: true });
  });

  it("pauses with the content, and hides outside the span", () => {
    expect(clipAction(clip, at(12, false), 2)).toEqual({ kind: "show", seekTo: null, play: false });
    expect(clipAction(clip, at(16), 5)).toEqual({ kind: "hide" });
  });
});

describe("activeClip", () => {
  it("is the clip that started last among those that should show", () => {
    const clips = [clip, { media_url: "m", media_time: 11, duration: 5 }, { media_url: "m", media_time: 13, duration: 5 }];
    expect(activeClip(clips, at(12))?.media_time).toBe(11);
    expect(activeClip(clips, at(14))?.media_time).toBe(13);
    expect(activeClip([clip], at(30))).toBeNull();
  });
});
