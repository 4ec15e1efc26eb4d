"""Why an audio file could not be transcribed: one exception per recorded status."""


class AsrError(Exception):
    """Transcription failed; `status` is the short machine string the caller records."""

    status = "asr_error"


class UnreadableAudio(AsrError):
    """Empty, HTML, random bytes, corrupt: nothing a decoder can use."""

    status = "unreadable_audio"


class UnsupportedCodec(UnreadableAudio):
    """A container we can open holding audio no bundled decoder knows."""

    status = "unsupported_codec"


class TruncatedAudio(UnreadableAudio):
    """The file ends well before the duration its header declares (a download cut short)."""

    status = "truncated_audio"


class NoSpeech(AsrError):
    """Silence, music or noise only: there is nothing to transcribe."""

    status = "no_speech"


class TooLong(AsrError):
    """Longer than PODINDEX_ASR_MAX_SECONDS."""

    status = "too_long"


class TooLarge(AsrError):
    """More bytes than PODINDEX_AUDIO_MAX_BYTES, or a piece no provider limit can fit."""

    status = "too_large"


class UnsupportedLanguage(AsrError):
    """The model cannot transcribe the language spoken (an English-only model, other speech)."""

    status = "unsupported_language"


class EngineUnavailable(AsrError):
    """The configured model, engine or diarizer cannot be loaded here."""

    status = "engine_unavailable"


class ProviderError(AsrError):
    """The transcription API refused or failed, after our retries."""

    status = "provider_error"


class ProviderTimeout(ProviderError):
    """The transcription API did not answer in time, after our retries."""

    status = "provider_timeout"
