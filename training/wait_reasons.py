"""Reasons a caller gives right after asking a voice agent to hold on, and stand-alone hold requests,
written for this project (same licence as the project).

Why: a wait turn often goes on past the request itself ("hold on, let me grab my insurance card",
"секунду, сейчас схожу за паспортом", "等一下，我去拿一下药盒"). The request and its reason together are
still a "wait" turn, not a finished question or an unfinished sentence. langres.WAIT_REASON holds a
first, short set of reasons; these lists add many more, with more varied grammar and objects, so the
model does not learn a handful of fixed phrases. They give the generator:

- WAIT_REASON_MORE: lang -> what a caller says right AFTER a hold-on word: fetching or looking for
  something (cards, policy / booking / order / account numbers, prescriptions, receipts, letters,
  bills, passports, glasses, pens, laptops, keys, calendars), being interrupted (children, spouses,
  colleagues) or needing to check something. Each one is only the reason: none contains a hold-on
  word itself, so the generator can put any wait request in front. Lower-case (German nouns and
  "Sie" keep their capitals, as speech-to-text writes them), no final punctuation, no spaces in
  zh/ja. None repeats an entry of langres.WAIT_REASON.
- WAIT_HOLD: lang -> "please hold / don't hang up / stay on the line / give me a minute" requests a
  caller says to the agent; each is a complete wait turn on its own. None repeats an entry of
  langres.WAIT_EXTRA or langres.WAIT_REASON.
"""

WAIT_REASON_MORE = {
    "en": [
        "let me grab my insurance card", "i'll go get the prescription", "i'm just looking for the letter",
        "i need to find my glasses", "gotta get a pen", "my kid is calling me", "i'm going to check the receipt",
        "let me pull up the email", "i have to put you on speaker", "let me find my policy number",
        "i'm getting my booking reference", "i need to look up the order number", "let me get my account number",
        "i'll grab my passport from the other room", "i have to find my keys", "let me fetch my laptop",
        "i'm pulling up my calendar", "i need to write that down", "let me go to another room",
        "my husband wants to say something", "my boss just walked in", "i'm going to get my wallet",
        "i just need to check the bill", "let me get my reading glasses", "the baby is crying",
        "i'm grabbing the letter from the bank", "i've got to check with my colleague",
        "let me look at the statement", "i'm trying to find the tracking number",
        "i need to log in on my computer", "let me dig out the invoice", "i'll just go get my daughter",
        "i've gotta find the paperwork", "i'm looking for the confirmation email", "let me switch to my headphones",
        "someone's knocking", "i'm checking my banking app", "let me find something to write with",
        "i need to get my checkbook", "let me get the box the medicine came in",
    ],
    "ru": [
        "сейчас схожу за паспортом", "я возьму страховой полис", "сейчас найду номер полиса",
        "я только достану очки", "мне надо найти рецепт", "сбегаю за ручкой", "ребёнок меня зовёт",
        "сейчас проверю чек", "открою письмо на почте", "я включу громкую связь", "поищу номер бронирования",
        "сейчас гляну номер договора", "найду номер лицевого счёта", "я схожу в другую комнату",
        "мне нужно взять ноутбук", "я ищу ключи", "сейчас достану карточку из кошелька",
        "посмотрю в ежедневнике", "мне муж что-то говорит", "ко мне коллега подошёл", "надо это записать",
        "сейчас возьму квитанцию", "я ищу счёт за свет", "сейчас принесу документы", "надену очки",
        "я проверю выписку", "дочка плачет", "сейчас зайду в приложение банка", "уточню у мужа",
        "мне надо свериться с письмом", "сейчас открою ноутбук", "найду трек-номер",
        "где-то тут было письмо", "ищу чем записать", "переключусь на наушники", "начальник зашёл",
        "мне в домофон звонят", "схожу за упаковкой от лекарства", "достану договор из папки",
        "у меня там суп убегает",
    ],
    "zh": [
        "我去拿一下药盒", "我找一下身份证", "我去拿一下医保卡", "我找一下保单号", "我翻一下订单号", "我去拿个笔",
        "我孩子在叫我", "我看一下小票", "我打开邮件看看", "我开一下免提", "我得找一下眼镜", "我查一下预订号",
        "我去另一个房间", "我拿一下护照", "我找下钥匙", "我得去拿电脑", "我看一下收据", "我问一下我同事",
        "我老公跟我说话呢", "我去把账单拿过来", "我翻一下那封信", "我拿张纸记一下", "我登录一下账户看看",
        "我查一下账号", "我把处方拿来", "我看一下快递单号", "我去拿银行卡", "我看看日程表", "领导叫我",
        "孩子哭了", "我在找那条短信", "我换个耳机", "我翻一下合同", "我去书房拿一下", "我找找我的会员卡",
        "我看一下发票", "我得问问我妈", "我把电脑打开", "我去拿下钱包", "我查一下手机银行",
    ],
    "ja": [
        "保険証を取ってきます", "処方箋を取ってきますね", "今手紙を探してるので", "眼鏡を探さないと",
        "メモ帳を持ってきます", "子供が呼んでいるので", "レシートを確認します", "メールを開いてみます",
        "スピーカーにしますね", "予約番号を見てみます", "証券番号を探します", "会員番号を調べます",
        "パスポートを取ってきます", "鍵を探してきます", "パソコンを開きます", "手帳を見てみます",
        "夫が何か言ってるので", "同僚に確認してきます", "請求書を持ってきます", "別の部屋に移動します",
        "口座番号を確認しますので", "明細を見てみます", "お薬手帳を取ってきます", "財布からカードを出します",
        "アプリで確認します",
    ],
    "ko": [
        "보험 카드 좀 가져올게요", "처방전 가지러 갈게요", "편지를 찾고 있어서요", "안경을 찾아야 돼요",
        "메모지 좀 가져올게요", "애가 불러서요", "영수증 확인해 볼게요", "이메일 좀 열어볼게요",
        "스피커폰으로 바꿀게요", "예약 번호 찾아볼게요", "증권 번호 확인할게요", "계좌번호 좀 찾아볼게요",
        "여권 가지러 갈게요", "열쇠 좀 찾을게요", "노트북 좀 켤게요", "다이어리 좀 볼게요",
        "남편이 뭐라고 해서요", "동료한테 물어보고 올게요", "고지서 좀 가져올게요", "다른 방으로 갈게요",
        "명세서 좀 볼게요", "지갑에서 카드 꺼낼게요", "앱으로 확인해 볼게요", "택배 송장번호 찾아볼게요",
        "신분증 좀 꺼낼게요",
    ],
    "fr": [
        "je vais chercher ma carte", "je prends ma carte vitale", "je vais chercher l'ordonnance",
        "je cherche la lettre", "il faut que je trouve mes lunettes", "je prends de quoi noter",
        "mon fils m'appelle", "je vérifie le ticket de caisse", "j'ouvre le mail", "je vous mets sur haut-parleur",
        "je retrouve mon numéro de réservation", "je cherche mon numéro de contrat", "je vais chercher mon passeport",
        "je dois trouver mes clés", "j'allume l'ordinateur", "je regarde dans mon carnet", "mon mari me parle",
        "je demande à ma collègue", "je vais chercher la facture", "je change de pièce", "je regarde mon relevé",
        "je sors ma carte bancaire", "je vérifie sur l'appli", "je récupère le numéro de suivi",
        "je vais chercher mon chéquier",
    ],
    "de": [
        "ich muss kurz das Rezept suchen", "ich hol schnell meine Versichertenkarte", "ich suche gerade den Brief",
        "ich muss meine Brille finden", "ich hol mir was zum Schreiben", "mein Kind ruft mich",
        "ich schau auf den Kassenbon", "ich mach die E-Mail auf", "ich stell Sie auf laut",
        "ich such die Buchungsnummer raus", "ich hol die Versicherungsnummer", "ich schau meine Kundennummer nach",
        "ich hol meinen Pass", "ich muss meine Schlüssel suchen", "ich mach den Laptop an",
        "mein Mann will was sagen", "ich frag kurz meinen Kollegen", "ich hol die Rechnung",
        "ich geh ins andere Zimmer", "ich schau auf den Kontoauszug", "ich nehm die Karte aus dem Portemonnaie",
        "ich schau in der App nach", "ich suche die Sendungsnummer", "ich hol die Unterlagen",
        "ich muss die Vertragsnummer raussuchen",
    ],
    "it": [
        "che prendo la tessera", "vado a prendere la ricetta", "sto cercando la lettera", "devo trovare gli occhiali",
        "prendo qualcosa per scrivere", "mio figlio mi chiama", "controllo lo scontrino", "apro la mail",
        "la metto in vivavoce", "cerco il codice di prenotazione", "recupero il numero di polizza",
        "prendo il codice cliente", "vado a prendere il passaporto", "devo trovare le chiavi", "accendo il portatile",
        "guardo sul calendario", "mio marito mi sta dicendo una cosa", "chiedo al mio collega", "prendo la bolletta",
        "vado nell'altra stanza", "guardo l'estratto conto", "tiro fuori il bancomat", "controllo sull'app",
        "cerco il numero di tracciamento", "prendo la carta d'identità",
    ],
    "id": [
        "saya ambil kartu asuransi dulu", "saya ambil resepnya", "saya lagi cari suratnya",
        "saya harus cari kacamata", "saya ambil kertas buat nulis", "anak saya manggil", "saya cek struknya",
        "saya buka emailnya", "saya nyalakan speaker", "saya cari kode bookingnya", "saya cari nomor polisnya",
        "saya lihat nomor rekening", "saya ambil paspor", "saya cari kunci", "saya nyalakan laptop",
        "saya lihat jadwal saya", "suami saya lagi ngomong", "saya tanya rekan kerja saya", "saya ambil tagihannya",
        "saya pindah ke ruangan lain", "saya lihat mutasi rekening", "saya keluarkan kartu dari dompet",
        "saya cek di aplikasi", "saya cari nomor resinya", "saya ambil ktp saya",
    ],
    "pl": [
        "pójdę po receptę", "wyjmę kartę z portfela", "szukam tego listu", "muszę znaleźć okulary",
        "dziecko mnie woła", "sprawdzę paragon", "otworzę maila", "włączę głośnik", "poszukam numeru rezerwacji",
        "znajdę numer polisy", "pójdę po paszport", "muszę znaleźć klucze", "włączę laptopa",
        "zapytam kolegę z pracy", "przyniosę rachunek",
    ],
    "nl": [
        "ik pak even mijn verzekeringspas", "ik ga het recept halen", "ik ben de brief aan het zoeken",
        "ik moet mijn bril vinden", "mijn kind roept me", "ik check het bonnetje", "ik open de mail",
        "ik zet je op de speaker", "ik zoek het boekingsnummer op", "ik pak mijn polisnummer erbij",
        "ik haal mijn paspoort", "ik moet mijn sleutels zoeken", "ik zet de laptop aan",
        "ik vraag het aan mijn collega", "ik haal de rekening erbij",
    ],
    "tr": [
        "sigorta kartımı alayım", "reçeteyi getireyim", "mektubu arıyorum", "gözlüğümü bulmam lazım",
        "çocuk beni çağırıyor", "fişe bakayım", "e-postayı açayım", "sizi hoparlöre alayım",
        "rezervasyon numarasına bakayım", "poliçe numarasını bulayım", "pasaportu getireyim",
        "anahtarlarımı bulmam lazım", "bilgisayarı açayım", "iş arkadaşıma sorayım", "faturayı getireyim",
    ],
    "ar": [
        "سأحضر بطاقة التأمين", "سأذهب لأحضر الوصفة الطبية", "أبحث عن الرسالة", "يجب أن أجد نظارتي",
        "ابني يناديني", "سأتحقق من الإيصال", "سأفتح البريد الإلكتروني", "سأضعك على مكبر الصوت",
        "أبحث عن رقم الحجز", "سأجد رقم البوليصة", "سأحضر جواز السفر", "لازم ألاقي المفاتيح",
        "سأشغل الحاسوب", "سأسأل زميلي", "سأحضر الفاتورة",
    ],
    "hi": [
        "मैं बीमा कार्ड ले आता हूँ", "मैं डॉक्टर का पर्चा ले आऊँ", "मैं चिट्ठी ढूँढ रहा हूँ", "मुझे अपना चश्मा ढूँढना है",
        "बच्चा बुला रहा है", "मैं रसीद देख लेती हूँ", "मैं ईमेल खोलता हूँ", "मैं आपको स्पीकर पर डालता हूँ",
        "मैं बुकिंग नंबर देखता हूँ", "पॉलिसी नंबर ढूँढ लूँ", "मैं पासपोर्ट लेकर आता हूँ", "मुझे चाबियाँ ढूँढनी हैं",
        "लैपटॉप खोल लूँ", "मैं अपने सहकर्मी से पूछ लूँ", "मैं बिल ले आता हूँ",
    ],
}

WAIT_HOLD = {
    "en": ["don't hang up", "stay on the line", "bear with me", "give me a minute", "please hold",
           "can you hold", "don't go anywhere"],
    "ru": ["не кладите трубку", "не отключайтесь", "побудьте на линии", "дайте мне минутку",
           "оставайтесь на линии", "не вешайте трубку"],
    "zh": ["你先别挂", "别挂啊", "您稍等一下别挂", "先别挂电话", "给我一分钟", "请不要挂断", "麻烦您等我一下"],
    "ja": ["切らないでください", "切らずに待っててください", "少々お待ちいただけますか", "一分だけください",
           "そのままでお願いします", "ちょっとお待ちください"],
    "ko": ["끊지 마세요", "전화 끊지 말고 기다려 주세요", "일 분만 주세요", "조금만 기다려 주실래요",
           "그대로 계세요", "끊지 말아 주세요"],
    "fr": ["ne quittez pas", "ne raccrochez pas", "restez en ligne", "donnez-moi une minute",
           "patientez s'il vous plaît", "ne coupez pas"],
    "de": ["bleiben Sie dran", "nicht auflegen", "legen Sie nicht auf", "geben Sie mir eine Minute",
           "bleiben Sie bitte in der Leitung", "einen Augenblick bitte"],
    "it": ["resti in linea", "non riattacchi", "rimanga in linea", "mi dia un minuto", "non chiuda",
           "attenda in linea per favore"],
    "id": ["jangan ditutup ya", "jangan tutup teleponnya", "tetap di telepon ya", "kasih saya waktu semenit",
           "mohon ditunggu", "tunggu sebentar ya"],
    "pl": ["proszę się nie rozłączać", "proszę nie odkładać słuchawki", "niech pan nie odkłada",
           "proszę dać mi minutę", "proszę zostać na linii"],
    "nl": ["niet ophangen", "blijf aan de lijn", "blijft u even aan de lijn", "geef me een minuutje",
           "hang niet op hoor"],
    "tr": ["kapatmayın", "hatta kalın lütfen", "telefonu kapatmayın", "bana bir dakika verin",
           "biraz bekler misiniz"],
    "ar": ["لا تغلق الخط", "ابق على الخط", "من فضلك انتظر", "أعطني دقيقة", "لا تقفل السماعة", "انتظرني لحظة"],
    "hi": ["फ़ोन मत काटिए", "लाइन पर बने रहिए", "कॉल होल्ड कीजिए", "मुझे एक मिनट दीजिए", "ज़रा रुकिए",
           "फ़ोन होल्ड पर रखिए"],
}


if __name__ == "__main__":
    import re

    counts = {"en": 40, "ru": 40, "zh": 40, "ja": 25, "ko": 25, "fr": 25, "de": 25, "it": 25, "id": 25,
              "pl": 15, "nl": 15, "tr": 15, "ar": 15, "hi": 15}
    # hold-on words a reason must not contain (it follows a wait request, it is not one)
    hold_words = {
        "en": ["wait", "hold on", "hang on", "moment", "second", "sec", "minute", "bear with"],
        "ru": ["подожд", "секунд", "минут", "момент", "погод"], "zh": ["等", "稍"], "ja": ["待", "少々"],
        "ko": ["잠깐", "잠시", "기다"], "fr": ["attend", "instant", "moment", "seconde", "minute", "quittez"],
        "de": ["moment", "warte", "sekunde", "augenblick", "minute"],
        "it": ["attimo", "momento", "aspett", "secondo", "minuto"], "id": ["tunggu", "sebentar"],
        "pl": ["chwil", "moment", "sekund", "zaczek", "minut"], "nl": ["moment", "wacht", "seconde", "minuut"],
        "tr": ["bekle", "saniye", "dakika"], "ar": ["انتظر", "لحظة", "ثانية", "دقيقة"],
        "hi": ["रुक", "मिनट", "सेकंड"],
    }
    try:
        from langres import WAIT_EXTRA, WAIT_REASON
    except ImportError:
        from training.langres import WAIT_EXTRA, WAIT_REASON
    trailing = re.compile(r"[\s.,!?;:…。！？，、،؟।]$")
    assert set(WAIT_REASON_MORE) == set(counts), set(WAIT_REASON_MORE) ^ set(counts)
    assert set(WAIT_HOLD) == set(counts), set(WAIT_HOLD) ^ set(counts)
    for lang, n in counts.items():
        reasons, holds = WAIT_REASON_MORE[lang], WAIT_HOLD[lang]
        assert len(reasons) == n, (lang, len(reasons), n)
        assert 5 <= len(holds) <= 8, (lang, len(holds))
        old = {x.lower() for x in WAIT_REASON.get(lang, []) + WAIT_EXTRA.get(lang, [])}
        for name, items in (("WAIT_REASON_MORE", reasons), ("WAIT_HOLD", holds)):
            low = [x.lower() for x in items]
            assert len(set(low)) == len(low), (name, lang, [x for x in low if low.count(x) > 1])
            for x in items:
                assert x and x.strip() == x, (name, lang, x)
                assert not trailing.search(x), (name, lang, x)
                assert x.lower() not in old, (name, lang, "already in langres", x)
                if lang in ("zh", "ja"):
                    assert " " not in x, (name, lang, x)
        for x in reasons:
            assert not any(w in x.lower() for w in hold_words[lang]), ("hold-on word in reason", lang, x)
            if lang != "de":
                assert x == x.lower(), ("not lower-case", lang, x)
        assert not set(x.lower() for x in reasons) & set(x.lower() for x in holds), lang
    print("WAIT_REASON_MORE:", " ".join(f"{k}={len(v)}" for k, v in WAIT_REASON_MORE.items()))
    print("WAIT_HOLD:", " ".join(f"{k}={len(v)}" for k, v in WAIT_HOLD.items()))
    print("ok")
