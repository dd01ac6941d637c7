"""Import pages: upload, the preview (every row by group, errors with their column), the
advisor's choices for changed rows, the commit, the history and the column reference."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from clients.imports import commit, formats, pipeline, selectors
from clients.imports.models import BatchStatus, ImportBatch, RowKind
from clients.views import HtmxHttpRequest

PAGE = "clients/imports/batch.html"
ROWS_PER_PAGE = 100
GROUPS = (RowKind.ERROR, RowKind.CHANGED, RowKind.NEW, RowKind.UNCHANGED, RowKind.SKIPPED)


class UploadForm(forms.Form):
    file = forms.FileField(label="File")
    format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "Detect from the file")]
        + [(f.name, f.label) for f in formats.REGISTRY.values()],
    )


def _batch_for_user(request: HtmxHttpRequest, batch_id: UUID) -> ImportBatch:
    try:
        return selectors.batches_visible(request.user).get(public_id=batch_id)
    except ImportBatch.DoesNotExist:
        raise Http404("No such import.") from None


def _check_may_import(request: HtmxHttpRequest) -> None:
    if not pipeline.may_import(request.user):
        raise PermissionDenied("You may not import into any account.")


@login_required
@require_GET
def import_list(request: HtmxHttpRequest) -> HttpResponse:
    batches = selectors.batches_visible(request.user)[:50]
    return render(
        request,
        "clients/imports/list.html",
        {
            "batches": batches,
            "form": UploadForm(initial={"format": request.GET.get("format")}),
            "may_import": pipeline.may_import(request.user),
            "formats": formats.REGISTRY.values(),
            "limit_mb": settings.IMPORT_MAX_BYTES // (1 << 20),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_new(request: HtmxHttpRequest) -> HttpResponse:
    """Upload a file: it is read and checked, and the preview opens. Nothing is written."""
    _check_may_import(request)
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        initial={"format": request.GET.get("format", "")},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = pipeline.batch_start(
                actor=request.user,
                upload=upload,
                file_name=upload.name,
                format_name=form.cleaned_data["format"] or "",
            )
        except pipeline.FileTooLarge as exc:
            form.add_error("file", str(exc))
            status = 413
        except PermissionDenied as exc:
            form.add_error("format", str(exc))
            status = 403
        else:
            return redirect("clients:import_detail", batch_id=batch.public_id)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "clients/imports/new.html",
        {
            "form": form,
            "formats": formats.REGISTRY.values(),
            "limit_mb": settings.IMPORT_MAX_BYTES // (1 << 20),
        },
        status=status,
    )


def _context(batch: ImportBatch, request: HtmxHttpRequest) -> dict[str, object]:
    done = pipeline.progress(batch)
    total = batch.rows_total if batch.status == BatchStatus.READING else batch.count(RowKind.NEW)
    groups = []
    for kind in GROUPS:
        count = batch.count(kind)
        if not count:
            continue
        page = Paginator(selectors.batch_rows(batch, kind), ROWS_PER_PAGE).get_page(
            request.GET.get(f"{kind}_page") if request.GET.get("group") in (None, kind) else 1
        )
        groups.append({"kind": kind, "label": RowKind(kind).label, "count": count, "page": page})
    return {
        "batch": batch,
        "groups": groups,
        "fmt": formats.REGISTRY.get(batch.format),
        "done": done,
        "total": total,
        "percent": min(100, int(100 * done / total)) if total else 0,
        "may_commit": batch.status == BatchStatus.PREVIEW
        and not batch.errors
        and pipeline.may_import(request.user),
    }


@login_required
@require_GET
def import_detail(request: HtmxHttpRequest, batch_id: UUID) -> HttpResponse:
    """The preview before the commit, and what the import did after it. While the file is
    read or written, htmx polls the ``progress`` partial; polling stops when it is done."""
    batch = _batch_for_user(request, batch_id)
    context = _context(batch, request)
    if request.htmx and not request.htmx.history_restore_request:
        # The progress poll and the rows both swap the page body; once the file is read or
        # written, the last poll swaps it in and stops polling.
        response = render(request, f"{PAGE}#body", context)
        patch_vary_headers(response, ("HX-Request",))
        if not batch.is_working:
            return HttpResponseStopPolling(response.content)
        return response
    response = render(request, PAGE, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _decisions(request: HtmxHttpRequest) -> dict[int, tuple[str, str]]:
    out = {}
    for key, value in request.POST.items():
        if key.startswith("decision-") and key[9:].isdigit() and value:
            number = int(key[9:])
            out[number] = (value, request.POST.get(f"reason-{number}", ""))
    return out


@login_required
@require_POST
def import_commit(request: HtmxHttpRequest, batch_id: UUID) -> HttpResponse:
    """Record the choices for changed rows and commit, all or nothing (a large file: a task,
    with a progress bar)."""
    batch = _batch_for_user(request, batch_id)
    _check_may_import(request)
    try:
        commit.decide(batch=batch, actor=request.user, decisions=_decisions(request))
        if batch.count(RowKind.NEW) > settings.IMPORT_ASYNC_ROWS:
            from clients import tasks

            ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.PREVIEW).update(
                status=BatchStatus.COMMITTING
            )
            ref = pipeline.actor_ref(request.user)
            transaction.on_commit(lambda: tasks.import_commit.delay(batch.pk, ref))
            messages.info(request, "Writing the rows: follow the progress below.")
        else:
            done = commit.batch_commit(batch_id=batch.pk, actor=request.user)
            messages.success(
                request, f"Imported: {done.created_count} created, {done.changed_count} changed."
            )
    except commit.CommitRefused as refused:
        messages.error(request, refused.message)
    return redirect("clients:import_detail", batch_id=batch.public_id)


@login_required
@require_GET
def import_formats(request: HtmxHttpRequest) -> HttpResponse:
    """Every format and every column, explained."""
    return render(
        request,
        "clients/imports/formats.html",
        {
            "formats": formats.REGISTRY.values(),
            "limit_mb": settings.IMPORT_MAX_BYTES // (1 << 20),
        },
    )


@login_required
@require_GET
def import_template(request: HtmxHttpRequest, name: str) -> HttpResponse:
    """A template CSV (header and one example row) of a generic format."""
    fmt = formats.REGISTRY.get(name)
    if fmt is None or not fmt.template:
        raise Http404("No template for that format.")
    response = HttpResponse(fmt.template, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{fmt.name}_template.csv"'
    return response
