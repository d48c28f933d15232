"""The receiving team's page: who receives new cases, who added each, accounts waiting to join,
and the latest changes; approvers in the team add and remove members here.

Thin views over redress.staff.team, which decides who may change the team.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import SubmitField

from caseworker.auth import permission_required
from redress.i18n.console import AUDIT_LABELS
from redress.keys.permissions import Permission
from redress.staff import team
from redress.web import commit, db, render_error
from redress.web.forms import Form

blueprint = Blueprint("team", __name__, url_prefix="/team")

NOTICES = {
    "added": "Added to the receiving team: the next report reaches them.",
    "removed": "Removed from the receiving team: new reports no longer reach them. Cases they "
    "hold stay theirs until access is revoked on each case.",
}


class TeamChangeForm(Form):
    """Add or remove one account: the button is the whole form."""

    submit = SubmitField("Change")


def _render(status: int = 200, problem: str | None = None) -> ResponseReturnValue:
    page = render_template(
        "team.html",
        overview=team.overview(db()),
        in_team=team.is_member(db(), g.identity.caseworker_id),
        may_change=team.may_change(db(), g.identity),
        change_form=TeamChangeForm(),
        labels=AUDIT_LABELS,
        notice=NOTICES.get(request.args.get("changed", "")),
        problem=problem,
    )
    return page, status


@blueprint.get("")
@permission_required(Permission.WORK_ON_CASES)
def index() -> ResponseReturnValue:
    return _render()


def _change(account_id: str, added: bool) -> ResponseReturnValue:
    if not TeamChangeForm().validate_on_submit():
        return render_error(400)
    try:
        if added:
            team.add_member(db(), g.identity, account_id)
        else:
            team.remove_member(db(), g.identity, account_id)
    except (team.NotInTeamError, team.OwnAccountError):
        db().rollback()
        return render_error(403)
    except team.UnknownAccountError:
        db().rollback()
        return render_error(404)
    except team.TeamError as error:
        db().rollback()
        return _render(409, str(error))
    commit()
    return redirect(url_for("team.index", changed="added" if added else "removed"))


@blueprint.post("/<account_id>/add")
@permission_required(Permission.APPROVE)
def add(account_id: str) -> ResponseReturnValue:
    return _change(account_id, added=True)


@blueprint.post("/<account_id>/remove")
@permission_required(Permission.APPROVE)
def remove(account_id: str) -> ResponseReturnValue:
    return _change(account_id, added=False)
