/**
 * The demo page's words in English: the reference catalogue (the widget's approach:
 * ui/i18n.ts, ICU MessageFormat). Every other language has exactly these keys with the
 * same ICU arguments (test/catalogues.test.ts). Write ’ in prose: an apostrophe quotes.
 */
export const en = {
  "page.title": "SocialSync demo",
  "page.skip": "Skip to content",
  "page.brand": "SocialSync demo",
  "page.intro": "Start a watch party, send the invite link to friends, and everyone’s video stays in sync: play, pause and seek together, chat and react.",
  "page.language": "Language",

  "setup.heading": "Start a watch party",
  "setup.name": "Your name",
  "setup.what": "What to watch",
  "setup.sample_mp4": "Sample MP4",
  "setup.sample_hls": "Sample HLS",
  "setup.paste": "Paste a URL",
  "setup.url": "Video URL (MP4, WebM or HLS .m3u8; http or https)",
  "setup.live": "Live channel (a stream that is running now)",
  "setup.start": "Start a party",
  "setup.no_samples": "This server has no sample clips (they are made with ffmpeg when the web client is built): paste the address of a video.",
  "setup.sample_title": "{kind, select, hls {Sample clip (HLS)} other {Sample clip (MP4)}}",
  "setup.party_title": "{name}’s watch party",

  "join.heading": "Join the watch party",
  "join.invited": "{hasHost, select, yes {{host} invites you to watch together} other {You are invited to watch together}}",
  "join.show": "{kind, select, live_room {Live room} other {Watch party}}{hasShow, select, yes { · {show}} other {}}",
  "join.from": "Starts at {at}",
  "join.poster": "Poster of {show}",
  "join.button": "Join the party",

  "party.media": "{title}{live, select, yes { · live} other {}}{hls, select, yes { · HLS} other {}}",
  "party.unmute": "Unmute",
  "party.mute": "Mute",
  "party.leave": "Leave",
  "party.widget": "Party: people and chat",
  "party.video": "The video",
  "party.ended": "The party has ended.",
  "party.removed": "You were removed from this party.",
  "party.new": "Start a new party",

  "error.name": "Please enter your name first.",
  "error.url": "Paste a video address that starts with http:// or https://.",
  "error.sample_missing": "That sample clip is not on this server: paste the address of a video instead.",
  "error.not_found": "This party does not exist or has ended.",
  "error.invite_unknown": "This invite link does not work any more: ask for a new one.",
  "error.invite_expired": "This invite link has expired: ask for a new one.",
  "error.invite_used_up": "This invite link has been used as many times as it may: ask for a new one.",
  "error.unauthorized": "The server did not accept you: {detail}.",
  "error.unavailable": "Could not reach the SocialSync server. Check your connection and try again.",
  "error.forbidden": "You cannot join: {detail}.",
  "error.other": "Something went wrong: {detail}.",
  "error.media": "This video could not be played (media error {code}).",
  "error.stream": "This stream could not be loaded ({detail}).",
  "error.no_program_dates": "This live stream carries no program dates (#EXT-X-PROGRAM-DATE-TIME), so it cannot be kept in sync.",
} as const;

export type DemoKey = keyof typeof en;
