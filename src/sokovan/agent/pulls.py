"""Image pulls: at most one per image at a time, in the background, reported as events.

`check_and_pull` answers at once (READY, PULLING, or FAILED for an image the agent can never
run) and leaves the pull running; its outcome arrives as IMAGE_PULL_FINISHED or
IMAGE_PULL_FAILED. A failed image is pulled again on the next request for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from sokovan.agent.errors import ImagePreparationError, InvalidImageError
from sokovan.agent.events import EventEmitter
from sokovan.agent.protocol import ImagePullResult, ImagePullStatus, ImageSpec, KernelEventKind
from sokovan.agent.runtime.base import KernelRuntime

log = logging.getLogger(__name__)


class ImagePuller:
    def __init__(self, runtime: KernelRuntime, architecture: str, emitter: EventEmitter) -> None:
        self._runtime = runtime
        self._architecture = architecture
        self._emitter = emitter
        #: Pulls in progress by image name; each resolves to None or the failure's reason.
        self._pulls: dict[str, asyncio.Task[str | None]] = {}
        self._ready: set[str] = set()

    def check_and_pull(self, images: Iterable[ImageSpec]) -> list[ImagePullResult]:
        return [self._check(image) for image in images]

    def _check(self, image: ImageSpec) -> ImagePullResult:
        try:
            self._validate(image)
        except InvalidImageError as exc:
            return _result(image, ImagePullStatus.FAILED, str(exc))
        if not self._pulling(image) and self._runtime.image_ready(image):
            self._ready.add(image.name)
            return _result(image, ImagePullStatus.READY)
        self._pull_in_background(image)
        return _result(image, ImagePullStatus.PULLING)

    async def ensure_ready(self, image: ImageSpec) -> None:
        """Wait until the image is ready, pulling it if needed (joining a pull in progress).

        Raises `InvalidImageError` or `ImagePreparationError` with the reason.
        """
        self._validate(image)
        if not self._pulling(image) and self._runtime.image_ready(image):
            return
        failure = await asyncio.shield(self._pull_in_background(image))
        if failure is not None:
            raise ImagePreparationError(failure)

    def ready_now(self, image: ImageSpec) -> bool:
        """Whether `image` can be used at once: valid here, not being pulled, and present."""
        try:
            self._validate(image)
        except InvalidImageError:
            return False  # ensure_ready says why
        return not self._pulling(image) and self._runtime.image_ready(image)

    def ready_images(self) -> list[str]:
        return sorted(self._ready)

    async def close(self) -> None:
        """Cancel the pulls in progress (a half-built venv is rebuilt next time)."""
        pulls = list(self._pulls.values())
        for pull in pulls:
            pull.cancel()
        await asyncio.gather(*pulls, return_exceptions=True)

    def _pulling(self, image: ImageSpec) -> bool:
        pull = self._pulls.get(image.name)
        return pull is not None and not pull.done()

    def _validate(self, image: ImageSpec) -> None:
        if image.architecture != self._architecture:
            raise InvalidImageError(
                f"image {image.name!r} is built for {image.architecture}, "
                f"this agent runs {self._architecture}"
            )
        self._runtime.validate_image(image)

    def _pull_in_background(self, image: ImageSpec) -> asyncio.Task[str | None]:
        pull = self._pulls.get(image.name)
        if pull is None or pull.done():
            pull = asyncio.create_task(self._pull(image), name=f"image-pull-{image.name}")
            self._pulls[image.name] = pull
            pull.add_done_callback(self._forget_pull)
        return pull

    def _forget_pull(self, pull: asyncio.Task[str | None]) -> None:
        for name, current in list(self._pulls.items()):
            if current is pull:
                del self._pulls[name]

    async def _pull(self, image: ImageSpec) -> str | None:
        self._emitter.image(KernelEventKind.IMAGE_PULL_STARTED, image.name)
        try:
            await self._runtime.prepare_image(image)
        except (ImagePreparationError, OSError) as exc:
            failure = str(exc)
        except Exception as exc:  # a bug must still end the pull with a reported failure
            log.exception("pulling image %s failed unexpectedly", image.name)
            failure = f"internal error while pulling: {exc!r}"
        else:
            self._ready.add(image.name)
            self._emitter.image(KernelEventKind.IMAGE_PULL_FINISHED, image.name)
            return None
        self._ready.discard(image.name)
        self._emitter.image(KernelEventKind.IMAGE_PULL_FAILED, image.name, reason=failure)
        return failure


def _result(
    image: ImageSpec, status: ImagePullStatus, detail: str | None = None
) -> ImagePullResult:
    return ImagePullResult(
        name=image.name, architecture=image.architecture, status=status, detail=detail
    )
