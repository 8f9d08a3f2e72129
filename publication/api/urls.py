from rest_framework.routers import SimpleRouter

from publication.api.notices import NoticeViewSet, ObjectionViewSet

router = SimpleRouter()
router.register("notices", NoticeViewSet, basename="notice")
router.register("objections", ObjectionViewSet, basename="objection")

app_name = "publication-api"
urlpatterns = router.urls
