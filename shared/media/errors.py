"""The one error media code raises for a file it cannot use."""


class MediaError(ValueError):
    """The file is not a usable video (empty, not media, no video stream, undecodable...).

    The message is written for the analyst ("not a media file: notes.mp4"); the stage that read
    the file turns it into the job's failure reason.
    """
