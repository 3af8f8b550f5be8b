"""Retainer commands: start, promote, lapse, change the fee, pause, resume, cancel, trials.

Each command is one unit of work. Promotion and lapse change the ENGAGEMENT;
the retainer follows through the billing feature's event handlers
(`relationship_core._app.billing.policies`), in the same unit of work.
"""

from __future__ import annotations

from datetime import date

from relationship_core._app.billing.context import BillingContext
from relationship_core._app.uow import UnitOfWork
from relationship_core._billing.lifecycle import RetainerPlan
from relationship_core._billing.retainer import Retainer, RetainerStatus, RetainerTerms
from relationship_core._domain.engagements import Engagement
from relationship_core._domain.money import Money
from relationship_core.exceptions import ValidationError

__all__ = ["RetainerCommands"]


def _plan(uow: UnitOfWork, engagement_id: str, business: str) -> RetainerPlan:
    plans = uow.repository(RetainerPlan)
    plan = plans.find(engagement_id)
    if plan is None:
        plan = plans.add(RetainerPlan(id=engagement_id, business=business))
    return plan


class RetainerCommands:
    """The retainer commands of one business."""

    def __init__(self, context: BillingContext) -> None:
        self.context = context

    def start_retainer(
        self,
        party_id: str,
        terms: RetainerTerms,
        *,
        retainer_id: str | None = None,
        starts_on: date | None = None,
        engagement_id: str | None = None,
    ) -> Retainer:
        """Start a retainer (e.g. for a client signed outside a promotion)."""
        ctx = self.context
        at = ctx.now()
        rid = retainer_id or ctx.crm.new_id()

        def work(uow: UnitOfWork) -> Retainer:
            retainers = uow.repository(Retainer)
            existing = retainers.find(rid)
            if existing is not None:  # a retried request: started already
                return ctx.own("retainer", existing)
            return retainers.add(
                Retainer.start(
                    rid,
                    party_id,
                    terms,
                    at,
                    starts_on=starts_on,
                    engagement_id=engagement_id,
                    business=ctx.key,
                )
            )

        return ctx.attempt(work)[0]

    def promote(
        self,
        engagement_id: str,
        terms: RetainerTerms,
        *,
        account_manager: str,
        reason: str,
        on: date | None = None,
        retainer_id: str | None = None,
    ) -> tuple[Engagement, Retainer]:
        """Promote a customer to client; the promotion handler starts the retainer.

        The terms are written to the engagement's `RetainerPlan` in the same
        unit of work, where the handler finds them.
        """
        if not isinstance(terms, RetainerTerms):
            raise ValidationError("terms", terms, "expected RetainerTerms")
        ctx = self.context
        at = ctx.now()
        rid = retainer_id or ctx.crm.new_id()

        def work(uow: UnitOfWork) -> Engagement:
            engagement: Engagement = uow.engagements.get(engagement_id)
            engagement.promote_to_client(
                account_manager=account_manager, reason=reason, at=at, on=on
            )
            _plan(uow, engagement_id, ctx.key).plan_start(rid, terms, ctx.key)
            return engagement

        def started(uow: UnitOfWork, engagement: Engagement) -> tuple[Engagement, Retainer]:
            return engagement, uow.repository(Retainer).get(rid)

        return ctx.attempt_then(work, started)[0]

    def lapse(
        self,
        engagement_id: str,
        *,
        reason: str,
        on: date | None = None,
        support_team: str | None = None,
        immediately: bool = False,
    ) -> tuple[Engagement, list[Retainer]]:
        """Let a client lapse to customer; the lapse handler ends its open retainers.

        By default each retainer's last period is the one containing the
        lapse day; with *immediately* service stops that day and the rest of
        the billed period is credited on the next run. Returns this
        business's retainers that the lapse ended.
        """
        ctx = self.context
        at = ctx.now()

        def work(uow: UnitOfWork) -> tuple[Engagement, list[Retainer]]:
            engagement: Engagement = uow.engagements.get(engagement_id)
            engagement.lapse_to_customer(reason=reason, at=at, support_team=support_team, on=on)
            if immediately:
                _plan(uow, engagement_id, ctx.key).end_immediately = True
            retainers = uow.repository(Retainer)
            open_ = [
                r
                for key in ctx.mine()
                for r in retainers.iterate(engagement_id=engagement_id, business=key)
                if r.status is not RetainerStatus.CANCELLED
            ]
            return engagement, open_

        def ended(
            _uow: UnitOfWork, done: tuple[Engagement, list[Retainer]]
        ) -> tuple[Engagement, list[Retainer]]:
            engagement, open_ = done
            return engagement, [r for r in open_ if r.status is RetainerStatus.CANCELLED]

        return ctx.attempt_then(work, ended)[0]

    def change_fee(
        self, retainer_id: str, fee: Money, *, effective_on: date | None = None
    ) -> Retainer:
        """Change a retainer's fee; billed periods get credit and charge adjustments."""
        return self.context.change(
            Retainer, retainer_id, lambda r, at: r.change_fee(fee, at, effective_on=effective_on)
        )

    def pause(self, retainer_id: str, *, on: date | None = None) -> Retainer:
        """Pause a retainer from *on* (default: today, locally)."""
        return self.context.change(Retainer, retainer_id, lambda r, at: r.pause(at, on=on))

    def resume(self, retainer_id: str, *, on: date | None = None) -> Retainer:
        """Resume a paused retainer on *on* (default: today, locally)."""
        return self.context.change(Retainer, retainer_id, lambda r, at: r.resume(at, on=on))

    def cancel(
        self,
        retainer_id: str,
        *,
        immediately: bool = False,
        on: date | None = None,
        reason: str = "",
    ) -> Retainer:
        """Cancel a retainer (at period end, or now with a credit on the next run)."""
        return self.context.change(
            Retainer,
            retainer_id,
            lambda r, at: r.cancel(at, immediately=immediately, on=on, reason=reason),
        )

    def extend_trial(
        self,
        retainer_id: str,
        *,
        days: int | None = None,
        periods: int | None = None,
        price: Money | None = None,
    ) -> Retainer:
        """Lengthen a retainer's trial (before it ends); the first paid period moves with it."""
        return self.context.change(
            Retainer,
            retainer_id,
            lambda r, at: r.extend_trial(at, days=days, periods=periods, price=price),
        )

    def convert_trial(self, retainer_id: str) -> Retainer:
        """Decide now that paid service follows the trial."""
        return self.context.change(Retainer, retainer_id, lambda r, at: r.convert_trial(at))

    def cancel_trial(
        self,
        retainer_id: str,
        *,
        immediately: bool = False,
        on: date | None = None,
        reason: str = "",
    ) -> Retainer:
        """End a retainer in its trial: service stops at the trial's end (or *on*, immediately)."""
        return self.context.change(
            Retainer,
            retainer_id,
            lambda r, at: r.cancel_trial(at, immediately=immediately, on=on, reason=reason),
        )
