# ruff: noqa: RUF001  (the rules match text in several scripts: look-alike letters and dashes are meant)
"""Boilerplate inside the article container, told line by line by its own shape, in several languages.

:func:`filter_paragraphs` drops donation and counter widgets, calls to action, comment-thread chrome,
"read also" and share lines, credits, ad labels, date and copyright lines, repeats of the title: it
needs nothing but the page. What repeats across a site's pages is :mod:`scraper.extract.boilerplate`'s.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = [
    "comparable",
    "filter_paragraphs",
    "line_kind",
    "normalise",
]

# Kinds of boilerplate, as line_kind names them.
DONATION = "donation_widget"
NUMBERS = "widget_numbers"
CTA = "call_to_action"
CAPTION = "caption_prompt"
COMMENTS = "comments"
RELATED = "read_also"
SHARE = "share_follow"
READ_TIME = "read_time"
LOADER = "loader"
CREDIT = "photo_credit"
DATE_LINE = "date_line"
COPYRIGHT = "copyright"
TITLE = "title_repeat"
AD = "ad_disclosure"
NOTICE = "site_notice"

_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")
_LETTER = re.compile(r"[^\W\d_]")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")  # a regex: str.translate is slower here


def _rx(*patterns: str) -> re.Pattern[str]:
    """One case-insensitive regular expression matching any of ``patterns``."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# Numbers, currency signs and separators only: "0 $", "2,500 $", "€ 1.440", "12".
_NUMERIC_LINE = re.compile(r"^[\s\d.,'’%+\-–—/:|$€£¥₽₴₹¢]*\d[\s\d.,'’%+\-–—/:|$€£¥₽₴₹¢]*$")
_CURRENCY = re.compile(r"[$€£¥₽₴₹¢]")
_PURE_INTEGER = re.compile(r"^\d{1,6}$")

_READ_TIME = _rx(
    r"^(?:reading time|read time|estimated reading time)\s*[:\-–]?\s*(?:about\s*)?\d+\s*(?:min|minutes?|mins?)\.?$",
    r"^(?:about\s*)?\d+\s*(?:-\s*)?(?:min|mins|minutes?)\.?\s*(?:read|reading|to read)$",
    r"^(?:время чтения|читать)\s*[:\-–]?\s*(?:около\s*)?\d+\s*(?:мин|минут[аы]?)\.?$",
    r"^\d+\s*(?:мин|минут[аы]?)\.?\s*(?:чтения|на прочтение)$",
    r"^(?:lesezeit|lesedauer)\s*[:\-–]?\s*(?:ca\.\s*)?\d+\s*(?:min|minuten?)\.?$",
    r"^\d+\s*(?:min|minuten?)\.?\s*(?:lesezeit|lesen)$",
    r"^(?:temps de lecture|durée de lecture|lecture)\s*[:\-–]?\s*\d+\s*(?:min|minutes?)\.?$",
    r"^\d+\s*(?:min|minutes?)\.?\s*de lecture$",
    r"^(?:tiempo de lectura|lectura|tempo de leitura|leitura|tempo di lettura)\s*[:\-–]?\s*\d+\s*"
    r"(?:min|minutos?|minuti|minuto)\.?$",
    r"^\d+\s*(?:min|minutos?|minuti)\.?\s*(?:de lectura|de leitura|di lettura)$",
    r"^(?:\d+|[٠-٩]+)\s*(?:دقائق|دقيقة|د)\s*(?:قراءة|للقراءة)$",
    r"^(?:قراءة|وقت القراءة|مدة القراءة)\s*[:\-–]?\s*(?:\d+|[٠-٩]+)\s*(?:دقائق|دقيقة|د)$",
)

_LOADER = _rx(
    r"^(?:loading|please wait|chargement(?: en cours)?|cargando|carregando|caricamento|wird geladen|"
    r"laden|lädt|загрузка|загружается|подождите|جار(?:ي)? التحميل|يتم التحميل)\s*(?:\.{2,}|…|\.)?\s*$",
)

# A line that ends in a caption prompt is a caption: the prompt and the caption both go.
_CAPTION = _rx(
    r"click (?:here )?to (?:see|view|open) (?:the )?(?:full[- ]size|larger|full|bigger)(?: image| photo| version)?\.?$",
    r"(?:click|tap) (?:the )?(?:image|photo|picture )?(?:to|for) (?:enlarge|expand|zoom)(?: image)?\.?$",
    r"click to enlarge\.?$",
    r"click to tweet$",
    r"(?:нажмите|кликните),? чтобы увеличить\.?$",
    r"(?:zum vergrößern klicken|klicken zum vergrößern|klicken sie zum vergrößern)\.?$",
    r"cliquez (?:sur l'image )?pour (?:agrandir|voir en grand)\.?$",
    r"(?:haga|haz) clic (?:en la imagen )?para (?:ampliar|agrandar)\.?$",
    r"clique (?:na imagem )?para ampliar\.?$",
    r"(?:انقر|اضغط) (?:على الصورة )?(?:للتكبير|لتكبير الصورة)$",
)

# Every _CAPTION prompt holds one of these (same flags): a line without one needs no full search.
_CAPTION_HINT = re.compile("cli|tap|нажмите|кликните|klicken|انقر|اضغط", re.IGNORECASE)

# A phrase that must end the line or be followed by a separator ("Read also: ...").
_LEAD = r"\s*(?:[:\-–|»›→]|\.\.\.|…|$)"

_RELATED = _rx(
    r"^\[?(?:read|see|watch|listen) (?:also|more|next)" + _LEAD,
    r"^\[?(?:read more|see more|more on this|also read|related|related articles?|related posts?|"
    r"related stories|related coverage|recommended|recommended for you|more from \S+|don'?t miss|must read|"
    r"you may also like|you might also like|trending|more stories|more|also|continue reading|"
    r"read the full (?:story|article))" + _LEAD,
    r"^also on \S+\.\w+\s",
    r"^(?:читайте также|читать также|читайте еще|читайте по теме|смотрите также|по теме|читать далее|"
    r"подробнее)" + _LEAD,
    r"^(?:lesen sie (?:auch|hier|mehr|weiter)(?: \S+){0,3}?|auch interessant|auch lesen|mehr zum thema(?: \S+){0,2}?|"
    r"weiterlesen|zum weiterlesen|mehr lesen|schon gelesen\??|mehr themen|weitere themen|"
    r"weitere artikel(?: zum thema)?|(?:das|dieses|diese) (?:thema|themen|artikel) könnten? (?:sie|dich) auch "
    r"interessieren|das könnte (?:sie|dich) auch interessieren|siehe auch)" + _LEAD,
    r"^(?:lire aussi|à lire aussi|a lire aussi|lire la suite|voir aussi|à voir aussi|sur le même sujet|"
    r"à lire également|lire également|voir également|sur le même thème|à découvrir aussi|découvrez aussi)" + _LEAD,
    r"^(?:lee también|leer también|lea también|leer más|lee más|(?:también )?(?:te|le|les) puede(?:n)? interesar|"
    r"ver también|vea también|mira también|lea además|(?:te|le) recomendamos|noticias relacionadas|"
    r"seguir leyendo|relacionado|relacionadas)" + _LEAD,
    r"^(?:leia também|leia mais|veja também|saiba mais|leggi anche|leggi pure|vedi anche|continua a leggere|"
    r"potrebbe interessarti(?: anche)?|lees ook|lees meer|zie ook|meer lezen)" + _LEAD,
    r"^(?:czytaj|przeczytaj|zobacz) (?:też|także|również|więcej)" + _LEAD,
    r"^(?:dowiedz się więcej|polecamy)" + _LEAD,
    r"^(?:(?:اقرأ|إقرأ|اقرا) (?:أيضا|أيضاً|ايضا|المزيد)|للمزيد|المزيد)" + _LEAD,
    # lists of other articles: most read, top stories, the next or previous one
    r"^(?:top[- ]themen|top[- ]artikel|meistgelesene?n?(?: artikel)?|meist gelesen|meistkommentiert|"
    r"meist[- ]diskutiert|kommentierte artikel|most (?:read|popular|viewed|commented)|top stories|"
    r"lo más (?:leído|visto)|más leídas|les plus lus|i più letti|najczęściej czytane|"
    r"(?:vorschau auf den )?(?:nächste[rn]?|vorherige[rn]?) (?:artikel|beitrag)|"
    r"(?:next|previous) (?:article|story|post)|(?:article|billet) (?:suivant|précédent)|"
    r"(?:artículo|nota) (?:siguiente|anterior))(?:\s+(?:bei|auf|von|on|at|from|en|de|sur|su|in)\s+[^.!?]{1,40})?"
    + _LEAD,
    # "Also on gofeminin.de", "Mehr auf example.com": the site's other pages
    r"^(?:auch|mehr|also|more|más|plus) (?:auf|on|en|sur|bei) [\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}" + _LEAD,
    # "More from The Times", "Más sobre La Tercera AM": a heading over the site's other stories
    r"^(?:more (?:from|on|about)|mehr (?:von|aus|zu|über)|más (?:sobre|de)|plus (?:sur|de)|mais (?:sobre|de)) "
    r"[^.!?:;,]{1,40}$",
)

# Share and follow lines: the bare verbs only as whole lines ("Share", "Teilen"),
# invitations to follow or subscribe as the start of a line.
_SHARE = _rx(
    r"^(?:please )?(?:follow|like|join|find|connect with) us (?:on|at)\b",
    r"^follow (?:\S+ ){0,6}on (?:facebook|twitter|instagram|telegram|youtube|linkedin|tiktok|vk|x)\b",
    r"^follow (?:@\S+|\S+'s full coverage|our coverage)",
    r"^like this (?:story|article)\? share it",
    r"^(?:share|tweet|email|print|whatsapp|pin it|share this|share on \w+|share this (?:article|story|post|page)|"
    r"share via|sharing is caring|поделиться|поделитесь|teilen|jetzt teilen|artikel teilen|teilen mit|"
    r"teilen sie dies mit|partager|partagez|partager cet article|compartir|comparte|compartir esto|compartilhe|"
    r"compartilhar|condividi|udostępnij|delen|شارك|شارك المقال|شارك هذا المقال)"
    r"\s*[:!.]?$",
    r"^(?:подписывайтесь|подпишитесь) на (?:нас|наш|наши|канал)",
    r"^следите за (?:нами|новостями)",
    r"^(?:folgen sie uns|folge uns)\b",
    r"^(?:suivez-nous|suivez nous|abonnez-vous)\b",
    r"^(?:síguenos|siguenos|suscríbete)\b",
    r"^(?:siga-nos|seguici)\b",
    r"^(?:تابعونا|تابعنا) (?:على|عبر)",
)
_SHARE_TAIL = _rx(r"\bto stay connected\.?$", r"\brss[- ]feed (?:abonnieren|abonnez|suscribirse)\.?$",
                  r"\bsubscribe to (?:our |the |this )?rss(?: feed)?\.?$")
# An invitation to the site's own channel: "Join our Telegram channel", "¡Mira nuestro canal de YouTube!".
_CHANNEL = _rx(
    r"\b(?:our|unser\w*|nuestro|notre|nosso|il nostro)\b.{0,30}\b(?:youtube|telegram|whatsapp|tiktok|"
    r"instagram|podcast)\b.{0,10}\b(?:channel|kanal|canal|chaîne|canale)",
    r"\b(?:our|unser\w*|nuestro|notre|nosso|il nostro) (?:channel|kanal|canal|chaîne|canale) "
    r"(?:de |on |auf |sur |en |su |no )?(?:youtube|telegram|whatsapp|tiktok)\b",
    r"\b(?:tenemos|we have|wir haben|nous avons) (?:un |una |einen )?(?:canal|channel|kanal|chaîne) "
    r"(?:de |on |auf |sur |en )?(?:youtube|telegram|whatsapp|tiktok)\b",
)
_CHANNEL_CALL = _rx(r"\b(?:join|follow|subscribe|watch|check out|únete|unete|mira|síguenos|suscríbete|abonniere|"
                    r"folge|schau|rejoignez|abonnez|suivez|iscriviti|segui)")

_CTA = _rx(
    r"^(?:please )?(?:support|donate to|help) (?:us|(?-i:[A-ZА-ЯЁ])[\w.\-]*(?:\s+(?-i:[A-ZА-ЯЁ])[\w.\-]*)?)\s*[!.]?$",
    r"^(?:donate|donate now|subscribe|subscribe now|sign up|sign up now|become a (?:member|patron|supporter)|"
    r"join now|support us|make a donation)\s*[!.]?$",
    r"^(?:subscribe|sign up) (?:to|for) (?:our|the) (?:\S+ )?(?:newsletter|channel|daily|weekly)",
    r"^(?:subscribe|sign up) (?:now |today )?(?:to|for) (?:our|the) .{0,60}\b(?:edition|newsletter|full story)",
    r"^to (?:view|read|continue reading) (?:the|this) (?:full )?(?:story|article).{0,20}\b(?:subscribe|log in)",
    r"^(?:newsletter (?:abonnieren|bestellen)|(?:zum|jetzt zum) newsletter anmelden|jetzt abonnieren)\s*[!.]?$",
    r"^zapraszamy (?:też |również )?do subskrypcji",
    r"^(?:hazte (?:miembro|socio)|suscríbete)\b",
    r"^if you (?:enjoyed|liked|value) (?:this|our) (?:article|story|journalism|work)",
    r"^get (?:the )?(?:\S+ ){1,6}delivered (?:to|through) your (?:inbox|letterbox|door)",
    r"^(?:поддержите|поддержать) (?:нас|проект|(?-i:[A-ZА-ЯЁ])\S*)\s*[!.]?$",
    r"^(?:unterstützen sie uns|jetzt spenden|spenden)\s*[!.]?$",
    r"^(?:soutenez-nous|faire un don|faites un don)\s*[!.]?$",
    r"^(?:apóyanos|donar|haz una donación)\s*[!.]?$",
    r"^(?:ادعمنا|تبرع|تبرع الآن)\s*[!.]?$",
)
_CTA_TAIL = _rx(r"\bnewsletter$")
# Requests to the reader about the site, not the story: get the app, write a letter to
# the editor, log in (a paywall's prompt), support the publication.
_READER_REQUEST = _rx(
    r"\bdownload our (?:\S+ ){0,4}apps?\b",
    r"(?:^|[.:!?|\u2013\u2014]\s*)(?:please )?(?:download|get) the (?:\S+ ){0,4}apps? (?:for|on|from) "
    r"(?:ios|android|iphone|ipad|the app store)",
    r"\bfor the latest (?:\S+ ){0,6}download the (?:\S+ ){0,4}apps?\b",
    r"^(?:jetzt )?(?:die|unsere) (?:\S+ ){0,3}\S*app (?:\S+ ){0,4}(?:herunterladen|downloaden|installieren)\b",
    r"\b(?:descarga|descargue|baja) (?:la|nuestra) (?:\S+ ){0,3}app\b",
    r"\btéléchargez (?:l'|notre )(?:\S+ ){0,3}app(?:lication)?\b",
    r"^(?:submit|send|write) (?:us )?(?:your |a )?letters? to the editor",
    r"^we(?:'d| would)? (?:want|like|love) to hear (?:what you think|from you|your thoughts)",
    r"^(?:puede|puedes) escribirnos\b",
    r"^(?:schreiben sie uns|schreibt uns|écrivez-nous|scriveteci)\b.{0,80}(?:@|e-mail|mail|leserbrief|formular)",
    r"\b(?:already|bereits|ya eres|déjà) (?:a |an )?(?:subscriber|abonnent(?:in)?|suscriptor|abonné)\b.{0,60}"
    r"\b(?:log ?in|sign ?in|anmelden|einloggen|inicia sesión|connectez)",
    r"^(?:you are|you're) (?:currently )?not (?:logged|signed) in\b",
    r"^sie sind (?:aktuell |derzeit |momentan )?nicht (?:eingeloggt|angemeldet)\b",
    r"\b(?:hier|jetzt) klicken und (?:\S+ ){0,4}(?:registrieren|anmelden|abonnieren|bestellen)\b",
    r"\bclick here (?:to|and) (?:\S+ ){0,2}(?:register|subscribe|sign up|download)\b",
    r"^(?:unterstütze|unterstützt|unterstützen sie) (?-i:[A-Z])\S* (?:\S+ ){0,3}(?:mit|ab) (?:nur )?"
    r"(?:\d+(?:[.,]\d+)?\s*(?:€|euro)?|einem|einer)",
)
# An invitation to sign up anywhere in a short line ("Never miss ... by signing up to our
# newsletter", "... Sign up here"): a sentence of an article seldom asks the reader to.
_SIGN_UP = _rx(
    r"\bsign(?:ing)? up (?:to|for) (?:our|the) (?:\S+ )?(?:newsletter|daily|weekly|alerts)\b",
    r"\bsign(?:ing)? up (?:to|for|and) (?:get|receive)\b",
    r"(?:^|[.?!:|\u2013\u2014-]\s*|\bfree\s+)(?:subscribe|sign up)(?: now| today| here| for free)?\s*[!.]?$",
)

# Comment-thread chrome, whole lines only. A "thread start" line after the first
# paragraphs cuts off everything after it; the other chrome lines are dropped alone.
_COUNT = r"(?:\s*\(\d+\)|\s*\d+)?\s*[:.]?$"
_THREAD_START = _rx(
    r"^notify of$",
    r"^(?:newest|oldest) (?:most voted|oldest|newest)",
    r"^inline feedbacks$",
    r"^view all comments$",
    r"^(?:leave a reply|leave a comment|post a comment|add a comment|join the discussion|comments are closed)"
    r"(?: cancel reply)?\s*[:.]?$",
    r"^\d+\s+(?:comments?|responses?|replies)\s*$",
    r"^\d+\s+(?:thoughts|responses|comments) (?:on|to)\s+[\"“«]",
    r"^(?:комментарии|оставить комментарий|добавить комментарий|оставьте комментарий|"
    r"kommentare|kommentar schreiben|commentaires|laisser un commentaire|comentarios|deja un comentario|"
    r"dejar un comentario|comentários|deixe um comentário|commenti|lascia un commento|"
    r"التعليقات|أضف تعليق|اترك تعليقا|اترك تعليقاً|أضف تعليقك)" + _COUNT,
)
_COMMENT_CHROME = _rx(
    r"^would love your thoughts,? please comment\.?x?$",
    r"^(?:comments?|reply|replies|\d+ comments?|no comments|load more comments|show comments|"
    r"view comments|tell us what you think\.*|log in to comment|login to comment|subscribe to comments)\s*[!.:]?$",
    r"^(?:комментарий|ответить|kommentar|antworten|répondre|responder|رد)\s*$",
    r"^(?:comments|kommentare|comentarios|commentaires) (?:insgesamt|total|in total|en total|au total)\s*:?\s*\d+$",
    r"^(?:no comments yet|be the first to comment|keine kommentare|noch keine kommentare|aucun commentaire|"
    r"sin comentarios|brak komentarzy|nessun commento|нет комментариев)\b",
)

# Advertising labels and affiliate disclosures: a line saying the text around it is paid for.
_AD = _rx(
    r"^\*?(?:anzeige|werbung|advertisement|sponsored|publicidad|publicité|reklama|pubblicità)\s*(?:[-–—:.,|*]|$)",
    r"\baffiliate[- ]links?\b",
    r"\b(?:we|i) (?:may )?(?:receive|earn|get) (?:a )?(?:small )?(?:compensation|commission)\b",
    r"\b(?:enthält|beinhaltet) (?:werbung|affiliate|provisionslinks)",
    r"\bone or more of our advertisers\b",
)

_CREDIT_KEYS = re.compile(r"\b(?:license|restrictions|model release|credit line|image)\s*:", re.IGNORECASE)
_CREDIT_LABEL = _rx(
    r"^\(?(?:photo|photos|photo credits?|image|image credits?|picture|credits?|crédits? photos?|crédit|foto|fotos|"
    r"image (?:d'illustration|illustrative)|photo d'illustration|imagen ilustrativa|foto ilustrativa|"
    r"bild|bilder|titelbild|beitragsbild|bildquelle|фото|imagen|صورة)\s*:\s*\S",
)
_CREDIT = _rx(
    r"^(?:photo|image|picture|foto|фото|photographie|imagen|صورة|الصورة)\s*(?:credit)?\s*[:©]\s*"
    r"(?:\S+\s*/\s*)?(?:getty(?: images)?|afp|reuters|ap|epa|shutterstock|profimedia|abaca(?: press)?|tass|"
    r"тасс|риа новости|ria novosti|sputnik|anadolu|dpa|imago|xinhua|alamy|efe|ansa|pa|wikimedia commons)"
    r"\b.{0,40}$",
    r"^(?:©|\(c\))?\s*(?:getty images|afp|reuters|ap photo|epa|shutterstock|profimedia|abaca press)"
    r"(?:\s*/\s*[\w .]+)?$",
)
# A source line ("Quelle: Landesregierung") or an editor's and agency's sign-off alone on
# its line ("aja/PAP", "(jm/dpa)"): who supplied the text, not the text.
_SOURCE = _rx(
    r"^\(?(?:quelle|quellen|source|sources|fuente|fuentes|fonte|źródło|źródła)\s*:\s*\S[^:]{0,80}$",
    r"^\(?(?:\w{1,5}/)+(?:dpa|afp|ap|pap|kna|epd|apa|efe|ansa|sda|ats|reuters|ots|idea|ddp|kap|dts)\)?\.?$",
)
# A caption that ends in a copyright sign and its holder: "Ski star Marco Odermatt. © AFP / NAME".
_CAPTION_COPYRIGHT = re.compile(r"(?:^|[\s|(])©\s*[^©.!?]{1,50}\)?$")
# A caption that ends in an agency tag: "… to capture Tripoli [Getty]".
_CAPTION_AGENCY = re.compile(
    r"[\[(](?:Getty(?: Images)?|GETTY|AFP|Reuters|REUTERS|AP|EPA|Anadolu|Shutterstock|File photo)"
    r"(?:\s*/\s*[\w .]+)?[\])]\s*$"
)

_COPYRIGHT = _rx(
    r"^(?:copyright\s*)?(?:©|\(c\))\s*\S.{0,100}$",
    r"^copyright\s+(?:\S+\s+){0,4}(?:19|20)\d\d\b.{0,80}$",
    r"^(?:все права защищены|alle rechte vorbehalten|tous droits réservés|todos los derechos reservados|"
    r"جميع الحقوق محفوظة)",
)
_COPYRIGHT_TAIL = _rx(r"\ball rights reserved\.?$")
# Reprint terms: "This article is the copyrighted property of ...", "Nachdruck nur mit Genehmigung".
_REPRINT = _rx(
    r"\bcopyrighted (?:property|material) of\b",
    r"\b(?:written )?permission (?:must be|is) (?:obtained|required) (?:before|to|for) "
    r"(?:any )?(?:reprint|republish|reproduc|redistribut|copy)",
    r"\b(?:this|the|our) (?:article|story|content|material|text|report)s? (?:\S+ ){0,3}(?:may|must) not be "
    r"(?:reproduced|republished|reprinted|redistributed)\b",
    r"\b(?:nachdruck|vervielfältigung|weiterverbreitung)\b.{0,40}\b(?:nur mit|ohne|nicht ohne) "
    r"(?:\S+ ){0,2}(?:genehmigung|erlaubnis|zustimmung)",
    r"\bprohibida (?:su|la) (?:reproducción|distribución)",
    r"\breproduction (?:interdite|strictement interdite)",
)
# Notices a site prints under or over every page: no-guarantee disclaimers, a contents heading.
_NOTICE = _rx(
    r"^\(?(?:alle )?angaben ohne gewähr\)?\.?$",
    r"^\(?(?:all )?(?:information|details) (?:is )?(?:provided )?without (?:guarantee|warranty)\)?\.?$",
    r"^\(?sin garantía\)?\.?$|^\(?sans garantie\)?\.?$",
    r"^(?:inhaltsverzeichnis|inhalt|table of contents|contents|índice|índice de contenidos|sommaire|"
    r"table des matières|indice|spis treści)\s*[:\-–]?$",
    r"^(?:bild|foto) (?:anzeigen|schließen|vergrößern)$|^(?:show|view|zoom) (?:image|photo)$",
    # the label over a page's appendix, alone on its line: "Weitere Informationen:", "Kontakt:"
    r"^(?:weitere |mehr |zusätzliche )?(?:informationen|infos|zusatzinformationen|quellen|quellenangaben|"
    r"kontakt|ansprechpartner(?:in)?|links)(?: (?:zum|zur|zu|über|für) (?:\S+ ?){1,3})?\s*:$",
    r"^(?:(?:more|further|additional) information|for more information|contacts?|sources?|media contacts?|"
    r"press contacts?|más información|contactos?|fuentes?|plus d'informations|pour en savoir plus|"
    r"contacts? presse)(?: (?:on|about|about the|sobre|sur) (?:\S+ ?){1,3})?\s*:$",
    # a date's label without its date: "Release Date:"
    r"^(?:release date|date published|published|updated|last updated|veröffentlicht(?: am)?|veröffentlichung|"
    r"aktualisiert(?: am)?|stand|fecha(?: de publicación)?|publicado|date de publication|publié le)\s*:$",
    # a pointer to more elsewhere: "Weitere Infos unter www.example.de."
    r"^(?:weitere|mehr) (?:infos?|informationen) (?:unter|auf|bei) (?:www\.)?[\w-]+(?:\.[\w-]+)+/?\S*\.?$",
    r"^(?:more|further) (?:info|information|details) (?:at|on) (?:www\.)?[\w-]+(?:\.[\w-]+)+/?\S*\.?$",
)

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|"
    "январь|февраль|март|апрель|май|июнь|июль|август|сентябрь|октябрь|ноябрь|декабрь|"
    "januar|februar|märz|mai|juni|juli|oktober|dezember|"
    "janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
    "janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro|"
    "gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
    "يناير|فبراير|مارس|أبريل|ابريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر|"
    "كانون|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين"
)
_DATE_FILLER = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun|"
    "понедельник|вторник|среда|четверг|пятница|суббота|воскресенье|"
    "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
    "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    "lunes|martes|miércoles|jueves|viernes|sábado|domingo|"
    "segunda|terça|quarta|quinta|sexta|feira|"
    "am|pm|gmt|utc|est|edt|pst|pdt|cet|cest|msk|amt|bst|"
    "at|on|de|del|às|a|le|el|um|в|г|года|updated|published|posted|"
    "обновлено|опубликовано|aktualisiert|veröffentlicht|publié|mis à jour|publicado|actualizado|"
    "الاثنين|الثلاثاء|الأربعاء|الخميس|الجمعة|السبت|الأحد|نشر|في"
)
_DATE_WORD = re.compile(rf"^(?:{_MONTHS}|{_DATE_FILLER})$", re.IGNORECASE)
_MONTH_WORD = re.compile(rf"^(?:{_MONTHS})$", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_NUMERIC_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b")


def normalise(text: str) -> str:
    """The comparable form of a paragraph: NFKC, lower case, words only, digits as 0."""
    if not text.isascii():  # NFKC and the zero-width characters leave ASCII alone
        text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))
    return _DIGITS.sub("0", " ".join(_WORD.findall(text.lower())))


def comparable(text: str) -> str:
    """A cheap form for matching texts against each other: lower case, words only."""
    return " ".join(_WORD.findall(text.lower()))


def _clean(line: str) -> str:
    """The line without zero-width characters, NFKC-normalised, with single spaces, stripped."""
    if not line.isascii():
        line = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", line))
    return " ".join(line.split())  # str.split() and regex \s agree on what whitespace is


def _is_numeric(line: str) -> bool:
    """True for a line of numbers, currency signs and separators only."""
    return bool(_NUMERIC_LINE.match(line)) and not _LETTER.search(line)


def _is_date_line(line: str) -> bool:
    """True for a short line that is only a date (and time): '02 March, 2020', '5:45 AM PST 11/19/2019'."""
    words = _WORD.findall(line)
    if not words or len(words) > 12 or len(line) > 80:
        return False
    has_month = any(_MONTH_WORD.match(w) for w in words)
    if not has_month and not _NUMERIC_DATE.search(line):
        return False
    if not any(w.isdigit() for w in words) or len(_YEAR.findall(line)) > 1:
        return False
    return all(w.isdigit() or _DATE_WORD.match(w) for w in words)


def _is_credit(line: str, words: int) -> bool:
    """True for a photo-agency credit line."""
    if ":" in line and len(_CREDIT_KEYS.findall(line)) >= 2:
        return True
    if len(line) <= 120 and _CREDIT.match(line):
        return True
    if words <= 8 and _CREDIT_LABEL.match(line):
        return True
    if words <= 10 and _SOURCE.match(line):
        return True
    return words <= 40 and bool(_CAPTION_AGENCY.search(line[-60:]) or _CAPTION_COPYRIGHT.search(line[-60:]))


def _title_forms(titles: str | Iterable[str] | None) -> frozenset[str]:
    """The comparable forms of the page's titles."""
    if titles is None:
        return frozenset()
    items = [titles] if isinstance(titles, str) else list(titles)
    return frozenset(n for n in map(comparable, items) if n)


def line_kind(line: str, titles: str | Iterable[str] | None = None) -> str | None:
    """The kind of boilerplate ``line`` is by its own shape, or None for a content line.

    ``titles`` are the page's titles: a line equal to one is a repeat (the title has its own field).
    """
    text = _clean(line)
    return _line_kind(text, len(text.split()), _title_forms(titles))


def _line_kind(text: str, words: int, titles: frozenset[str]) -> str | None:
    """:func:`line_kind` of a cleaned line of ``words`` words, the titles in comparable form."""
    if not text:
        return NUMBERS
    tail = text[-120:]
    if _CAPTION_HINT.search(tail) and _CAPTION.search(tail):
        return CAPTION
    if words > 60:  # prose: only a caption or a credit line is that long
        return CREDIT if _is_credit(text, words) else None
    if titles and words <= 40 and comparable(text) in titles:
        return TITLE
    if _is_numeric(text):
        if _CURRENCY.search(text) and len(_DIGITS.findall(text)) >= 3:
            return DONATION
        if _PURE_INTEGER.match(text):
            return NUMBERS
        if _YEAR.search(text) and _is_date_line(text):  # "23.10.2018", "2019-11-20 14:05"
            return DATE_LINE
        return None  # a price or a phone number alone is content; runs are judged by filter_paragraphs
    if words <= 3 and _LOADER.match(text):
        return LOADER
    if words <= 12 and _READ_TIME.match(text):
        return READ_TIME
    if words <= 30 and _RELATED.match(text):
        return RELATED
    if words <= 30 and (_SHARE.match(text) or _SHARE_TAIL.search(tail)):
        return SHARE
    if words <= 30 and _CHANNEL.search(text) and _CHANNEL_CALL.search(text):
        return SHARE
    if words <= 12 and (_THREAD_START.match(text) or _COMMENT_CHROME.match(text)):
        return COMMENTS
    if _CTA.match(text) or (words <= 12 and _CTA_TAIL.search(tail)) or (words <= 25 and _SIGN_UP.search(text)):
        return CTA
    if words <= 30 and _READER_REQUEST.search(text):
        return CTA
    if words <= 60 and _AD.search(text):
        return AD
    if _is_credit(text, words):
        return CREDIT
    if words <= 30 and (_COPYRIGHT.match(text) or _COPYRIGHT_TAIL.search(tail)):
        return COPYRIGHT
    if words <= 60 and _REPRINT.search(text):
        return COPYRIGHT
    if words <= 8 and _NOTICE.match(text):
        return NOTICE
    if words <= 30 and _is_footer_links(text):
        return NOTICE
    if words <= 12 and _is_date_line(text):
        return DATE_LINE
    return None


def _thread_cut(lines: Sequence[str], min_chars: int) -> int:
    """Index of a comment-thread header after ``min_chars`` of text (it and all after it go), or len(lines).

    Comment threads are often longer than the article, so the position is not judged
    by share: only a header at the very top (a byline's '3 comments') is left alone.
    """
    before = 0
    for i, text in enumerate(lines):
        if before >= min_chars and len(text) <= 80 and _THREAD_START.match(text):
            return i
        before += len(text)
    return len(lines)


def _numeric_runs(lines: Sequence[str]) -> set[int]:
    """Indexes of letterless numeric lines that come in runs of two or more (counter widgets)."""
    flags = [len(x) <= 40 and _is_numeric(x) for x in lines]
    out: set[int] = set()
    for i, flag in enumerate(flags):
        if flag and ((i > 0 and flags[i - 1]) or (i + 1 < len(flags) and flags[i + 1])):
            out.add(i)
    return out


# Links of a site's footer run together on one line: "Impressum | Datenschutz | AGB".
_LEGAL_LINK = re.compile(
    r"^(?:impressum|datenschutz|datenschutzerklärung|datenschutzhinweise|agb|kontakt|nutzungsbedingungen|"
    r"barrierefreiheit|cookies?|cookie[- ](?:settings|policy|einstellungen|richtlinie)|imprint|privacy|"
    r"privacy policy|privacy notice|terms|terms of use|terms of service|terms and conditions|disclaimer|"
    r"legal notice|legal|contact|contact us|sitemap|site map|accessibility|mentions légales|confidentialité|"
    r"politique de confidentialité|aviso legal|política de privacidad|privacidad|contacto|términos y condiciones|"
    r"polityka prywatności|regulamin)$",
    re.IGNORECASE,
)
_LINK_SEPARATOR = re.compile(r"\s*[|·•]\s*")


def _is_footer_links(text: str) -> bool:
    """True for a line of two or more footer links (legal pages, contact, sitemap)
    separated by bars or dots, and little else."""
    parts = [p for p in _LINK_SEPARATOR.split(text) if p]
    legal = sum(1 for p in parts if _LEGAL_LINK.match(p))
    return len(parts) >= 2 and legal >= 2 and legal * 2 >= len(parts)


def _table_rows(block: str, title_forms: frozenset[str]) -> str:
    """A table block (rows of ``| cell | cell |`` on lines, as trafilatura writes tables)
    without its rows that hold no text or only boilerplate: a layout table's empty spacer
    rows and a 'more articles' row are not data. '' when no row is left. ``title_forms``:
    the page's titles in comparable form (:func:`_title_forms`)."""
    rows = []
    for row in block.split("\n"):
        text = _clean(" ".join(cell.strip() for cell in row.strip().strip("|").split("|") if cell.strip()))
        if text and _line_kind(text, len(text.split()), title_forms) is None:
            rows.append(row)
    return "\n".join(rows)


def filter_paragraphs(
    paragraphs: Sequence[str],
    titles: str | Iterable[str] | None = None,
    thread_cut_chars: int = 250,
) -> list[str]:
    """The ``paragraphs`` that are not boilerplate by their own shape (:func:`line_kind`).

    ``titles`` are the page's titles (a paragraph repeating one is dropped). A
    comment-thread header found after ``thread_cut_chars`` characters of text cuts off
    the rest of the text; letterless numbers in a run (a counter widget) go too.
    """
    title_forms = _title_forms(titles)  # once: ``titles`` may be an iterator
    lines = [t for t in (_table_rows(p, title_forms) if p.startswith("|") else p for p in paragraphs) if t.strip()]
    cleaned = [_clean(p) for p in lines]
    cut = _thread_cut(cleaned, thread_cut_chars)
    runs = _numeric_runs(cleaned)
    return [
        line
        for i, (line, text) in enumerate(zip(lines[:cut], cleaned[:cut], strict=True))
        if i not in runs and _line_kind(text, len(text.split()), title_forms) is None
    ]
