"""API keys on the desk: staff make them (the key is shown once, on the page that follows),
set their limits, see their use and revoke them."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone


class ApiKeyAdmin(admin.ModelAdmin):
    """Keys to the public API. Only a hash is stored: a lost key is revoked and made anew."""

    list_display = ("name", "lead", "rate_limit", "uses", "last_used_at", "created_at", "revoked")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "lead")
    fields = ("name", "rate_limit", "lead", "uses", "last_used_at", "created_by", "revoked_at")
    readonly_fields = ("lead", "uses", "last_used_at", "created_by", "revoked_at")
    actions = ["revoke"]

    @admin.display(description="requests served")
    def uses(self, key) -> int:
        return key.uses if key.pk else 0

    @admin.display(boolean=True, description="revoked")
    def revoked(self, key) -> bool:
        return key.revoked_at is not None

    def save_model(self, request, obj, form, change):
        if not change:
            # Kept on the request for the one page that shows it: never stored, never logged.
            request.new_api_key = obj.new_key()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        """Show the new key once, on this response (not in a message: those travel in a cookie)."""
        return TemplateResponse(
            request,
            "admin/desk/api_key_created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "key": obj,
                "secret": request.new_api_key,
                "title": "API key created",
            },
            headers={"Cache-Control": "no-store"},
        )

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        """Stop the selected keys working, at once (each save forgets the cached key)."""
        revoked = 0
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            revoked += 1
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS)
