"""The WSGI entry point (gunicorn, granian): Django, behind the archive's fast lane.

``creditbank.archive.fastlane`` answers the plain ``GET /api/v1/me/outcomes`` of an app before
Django and passes every other request on; ``CREDITBANK_FASTLANE=0`` turns it off.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditbank.settings")
application = get_wsgi_application()

if os.environ.get("CREDITBANK_FASTLANE", "1") != "0":
    from creditbank.archive.fastlane import ArchiveFastLane

    application = ArchiveFastLane(application)  # type: ignore[assignment]
