"""The approvals queue and the one view that decides any item awaiting a second person.

Thin views over redress.casework.approvals, through each kind's own decide function (which opens
the key the decision needs): identity disclosure requests and interim measures.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from caseworker.auth import permission_required
from redress.casework import approvals, disclosure, measures
from redress.i18n.console import MEASURE_KIND_LABELS
from redress.keys.permissions import Permission
from redress.web import commit, db, render_error

blueprint = Blueprint("approvals", __name__)

# Each kind of item, by the name its decision links carry, and how it is decided.
DECIDE: dict[str, Callable[..., None]] = {
    "disclosure": disclosure.decide,
    "measure": measures.decide,
}


def queue_page(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The approvals queue: disclosure requests and interim measures awaiting a decision."""
    if error:
        db().rollback()
    requests = disclosure.pending(db(), g.identity)
    proposals = measures.pending(db(), g.identity)
    commit()
    return render_template(
        "approvals.html",
        requests=requests,
        measures=proposals,
        kind_labels=MEASURE_KIND_LABELS,
        error=error,
    ), status


@blueprint.get("/approvals")
@permission_required(Permission.APPROVE)
def queue() -> ResponseReturnValue:
    return queue_page()


@blueprint.post(
    "/cases/<case_id>/approvals/<any(disclosure, measure):kind>/<item_id>"
    "/<any(approve, reject):verdict>"
)
@permission_required(Permission.APPROVE)
def decide(case_id: str, kind: str, item_id: str, verdict: str) -> ResponseReturnValue:
    try:
        DECIDE[kind](db(), case_id, item_id, g.identity, approve=verdict == "approve")
    except approvals.UnknownItemError:
        return render_error(404)
    except approvals.SelfApprovalError as error:
        return queue_page(str(error), 403)
    except approvals.ApprovalError as error:
        return queue_page(str(error), 409)
    commit()
    return redirect(url_for("approvals.queue", decided=verdict, kind=kind))
