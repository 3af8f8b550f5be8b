"""Inbound e-mail: real mail over SMTP and LMTP on loopback becomes tickets and comments."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

import relationship_core as rc
from relationship_core import Actor, MailIntake, MailReceiver, SupportService
from relationship_core._support.kinds import MailThread
from relationship_core._work.comments import Comment
from relationship_core.exceptions import ValidationError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _mail(
    subject: str, body: str, *, sender: str = "Ada <ada@example.com>", mid: str, **headers: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "help@shop.example"
    msg["Subject"] = subject
    msg["Message-ID"] = mid
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def test_mail_opens_tickets_and_replies_thread_as_comments(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        support = SupportService(crm)
        with (
            MailReceiver(MailIntake(support, team="mail")) as receiver,
            smtplib.SMTP(receiver.host, receiver.port) as smtp,
        ):
            smtp.send_message(_mail("Parcel late", "Where is it?", mid="<m1@ada.example>"))
            [ticket] = support.tickets.query(limit=5).items
            assert (ticket.channel.value, ticket.team, ticket.name) == ("email", "mail", "Ada")
            assert ticket.problem == "Parcel late\n\nWhere is it?"
            support.move(ticket.id, "pending_customer", actor=Actor.person("sam"))
            reply = _mail(
                "Re: Parcel late",
                "Order 42.",
                mid="<m2@ada.example>",
                In_Reply_To="<staff-1@shop.example>",
                References="<m1@ada.example> <staff-1@shop.example>",
            )
            smtp.send_message(reply)
            smtp.send_message(reply)  # delivered twice: stored once
            by_subject = _mail(f"More [#{ticket.id}]", "And a photo.", mid="<m3@ada.example>")
            smtp.send_message(by_subject)
            other = _mail(
                f"Re [#{ticket.id}]",
                "Me too",
                sender="eve@example.org",
                mid="<m4@eve.example>",
                References="<m1@ada.example>",
            )
            smtp.send_message(other)  # not Ada's party: a ticket of its own
        comments = list(crm.repository(Comment).query(limit=10).items)
        assert sorted(c.body for c in comments) == [
            "More [#" + ticket.id + "]\n\nAnd a photo.",
            "Re: Parcel late\n\nOrder 42.",
        ]
        assert {(c.visibility.value, c.author_kind.value, c.party_id) for c in comments} == {
            ("shared", "contact", ticket.party_id)
        }
        assert support.tickets.get(ticket.id).status.value == "pending_us"
        tickets = support.tickets.query(limit=5).items
        assert len(tickets) == 2
        assert crm.repository(MailThread).get("m4@eve.example").ticket_id != ticket.id
        assert len(crm.repository(MailThread).query(limit=10).items) == 4


def test_lmtp_and_hostile_mail_is_refused_whole(tmp_path: object) -> None:
    with rc.open("memory://", clock=rc.ManualClock(T0)) as crm:
        support = SupportService(crm)
        intake = MailIntake(support, max_bytes=20_000)
        with (
            MailReceiver(intake, lmtp=True) as receiver,
            smtplib.LMTP(receiver.host, receiver.port) as lmtp,
        ):
            lmtp.send_message(_mail("Hi", "Fine", mid="<ok@x.example>"))
            injected = (  # an encoded word hiding CR LF and a Bcc header in the name
                b"From: =?utf-8?q?Ada=0D=0ABcc=3A_all=40x=2Eorg?= <ada@x.example>\r\n"
                b"Subject: Hi\r\nMessage-ID: <bad1@x.example>\r\n\r\nx\r\n"
            )
            with pytest.raises(smtplib.SMTPDataError) as refused:
                lmtp.sendmail("ada@x.example", ["help@shop.example"], injected)
            assert refused.value.smtp_code == 550
            assert b"nothing stored" in refused.value.smtp_error
            with pytest.raises(smtplib.SMTPResponseException) as big:  # at MAIL FROM's SIZE
                lmtp.send_message(_mail("Big", "x" * 30_000, mid="<big@x.example>"))
            assert big.value.smtp_code == 552
        with pytest.raises(ValidationError, match="larger than 20000"):
            intake.receive(_mail("Big", "x" * 30_000, mid="<big2@x.example>").as_bytes())
        raw_bad_charset = (
            b"From: bob@x.example\r\nSubject: hi\r\nMessage-ID: <c@x>\r\n"
            b"Content-Type: text/plain; charset=x-klingon\r\n\r\nqapla\r\n"
        )
        with pytest.raises(ValidationError, match="body"):
            intake.receive(raw_bad_charset)
        with pytest.raises(ValidationError, match="From"):
            intake.receive(b"Subject: no sender\r\n\r\nhello\r\n")
        with pytest.raises(ValidationError, match="From"):
            intake.receive(b"From: a@x.example, b@x.example\r\nSubject: two\r\n\r\nhi\r\n")
        bad_utf8 = (
            b"From: c@x.example\r\nSubject: hi\r\nContent-Type: text/plain; charset=utf-8\r\n"
        )
        bad_utf8 += b"Content-Transfer-Encoding: 8bit\r\n\r\n\xff\xfe\x00bad\r\n"
        with pytest.raises(ValidationError):
            intake.receive(bad_utf8)
        assert len(support.tickets.query(limit=5).items) == 1  # only the good one
        assert len(crm.parties.query(limit=5).items) == 1
        assert len(crm.repository(MailThread).query(limit=5).items) == 1
        with pytest.raises(ValidationError, match="max_bytes"):
            MailIntake(support, max_bytes=0)
        with pytest.raises(ValidationError, match="intake"):
            MailReceiver("intake")  # type: ignore[arg-type]
