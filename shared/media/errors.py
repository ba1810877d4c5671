"""The one error media code raises for a file it cannot use."""


class MediaError(ValueError):
    """The file is not a usable video (empty, not media, no video stream, undecodable...).

    The message is written for the analyst ("not a media file: notes.mp4"); the stage that read
    the file turns it into the job's failure reason.
    """


def too_many_pixels(what: str, name: str, size: tuple[int, int], max_pixels: int, setting: str) -> str:
    """The refusal of a file whose header claims more pixels than a limit, naming the limit's setting."""
    w, h = size
    return (f"{what} too large: {name} is {w}x{h} ({w * h / 1e6:,.0f} megapixels); the limit is "
            f"{max_pixels / 1e6:,.0f} megapixels ({setting})")
