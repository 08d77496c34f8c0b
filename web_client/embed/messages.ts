/**
 * The embed's own words (the widget has its catalogues): what shows before the widget
 * does (connecting, signing in, starting a party) and when something went wrong.
 * ICU MessageFormat, English the reference; French and Arabic as the widget has them.
 */
import { browserLocales, I18n, negotiate } from "../ui/i18n";

const enMessages = {
  "embed.label": "Watch together",
  "embed.connecting": "Connecting to the watch party…",
  "embed.start_heading": "Watch this together",
  "embed.start_hint": "Start a watch party and send the link to friends: your videos play, pause and seek together.",
  "embed.start": "Start a watch party",
  "embed.join": "Join the watch party",
  "embed.name": "Your name",
  "embed.name_needed": "Please enter your name first.",
  "embed.sign_in": "Sign in to watch together.",
  "embed.sign_in_link": "Sign in",
  "embed.not_found": "This watch party does not exist or has ended.",
  "embed.invite_expired": "This invite link has expired. Ask for a new one.",
  "embed.invite_used_up": "This invite link has been used up. Ask for a new one.",
  "embed.forbidden": "You cannot join this watch party: {detail}.",
  "embed.unavailable": "Could not reach the watch-party server. Check your connection and try again.",
  "embed.failed": "Something went wrong: {detail}.",
  "embed.retry": "Try again",
  "embed.start_new": "Start a new watch party",
} as const;

export type EmbedKey = keyof typeof enMessages;
type Catalogue = Readonly<Record<EmbedKey, string>>;
export const en: Catalogue = enMessages;

export const fr: Catalogue = {
  "embed.label": "Regarder ensemble",
  "embed.connecting": "Connexion à la séance…",
  "embed.start_heading": "Regardez-le ensemble",
  "embed.start_hint": "Lancez une séance et envoyez le lien à vos amis : vos vidéos démarrent, s’arrêtent et avancent ensemble.",
  "embed.start": "Lancer une séance",
  "embed.join": "Rejoindre la séance",
  "embed.name": "Votre nom",
  "embed.name_needed": "Indiquez d’abord votre nom.",
  "embed.sign_in": "Connectez-vous pour regarder ensemble.",
  "embed.sign_in_link": "Se connecter",
  "embed.not_found": "Cette séance n’existe pas ou est terminée.",
  "embed.invite_expired": "Ce lien d’invitation a expiré. Demandez-en un nouveau.",
  "embed.invite_used_up": "Ce lien d’invitation a été utilisé autant de fois que permis. Demandez-en un nouveau.",
  "embed.forbidden": "Vous ne pouvez pas rejoindre cette séance : {detail}.",
  "embed.unavailable": "Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.",
  "embed.failed": "Une erreur s’est produite : {detail}.",
  "embed.retry": "Réessayer",
  "embed.start_new": "Lancer une nouvelle séance",
};

export const ar: Catalogue = {
  "embed.label": "شاهدوا معًا",
  "embed.connecting": "جارٍ الاتصال بجلسة المشاهدة…",
  "embed.start_heading": "شاهدوه معًا",
  "embed.start_hint": "ابدأ جلسة مشاهدة وأرسل الرابط إلى أصدقائك: تُشغَّل مقاطعكم وتتوقف وتتقدم معًا.",
  "embed.start": "ابدأ جلسة مشاهدة",
  "embed.join": "انضم إلى جلسة المشاهدة",
  "embed.name": "اسمك",
  "embed.name_needed": "يُرجى إدخال اسمك أولًا.",
  "embed.sign_in": "سجّل الدخول للمشاهدة معًا.",
  "embed.sign_in_link": "تسجيل الدخول",
  "embed.not_found": "جلسة المشاهدة هذه غير موجودة أو انتهت.",
  "embed.invite_expired": "انتهت صلاحية رابط الدعوة هذا. اطلب رابطًا جديدًا.",
  "embed.invite_used_up": "استُنفد رابط الدعوة هذا. اطلب رابطًا جديدًا.",
  "embed.forbidden": "لا يمكنك الانضمام إلى جلسة المشاهدة هذه: {detail}.",
  "embed.unavailable": "تعذّر الوصول إلى الخادم. تحقّق من اتصالك وحاول مجددًا.",
  "embed.failed": "حدث خطأ: {detail}.",
  "embed.retry": "حاول مجددًا",
  "embed.start_new": "ابدأ جلسة مشاهدة جديدة",
};

export const EMBED_CATALOGUES: Readonly<Record<string, Catalogue>> = { en, fr, ar };

/** The embed's language: the one asked for (`data-locale`), else the browser's, else English. */
export function embedI18n(locale: string | null): I18n<EmbedKey> {
  const language = negotiate([locale, ...browserLocales()], Object.keys(EMBED_CATALOGUES));
  return new I18n<EmbedKey>(language, EMBED_CATALOGUES[language], en);
}
