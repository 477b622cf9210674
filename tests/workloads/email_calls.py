"""Call-heavy library code: the standard library's email package parsing and
writing a multipart message for SECONDS (default 2). Calls and returns come
every microsecond or so, many of them from C (descriptors, class creation,
callbacks), so the stack a sampler reads changes while it reads it."""
import email
import email.policy
import sys
import time

BODY = "".join(f"--XX\nContent-Type: text/plain; charset=utf-8\n"
               f"Content-Transfer-Encoding: quoted-printable\n\nline {i} =C3=A9 {'x' * 200}\n"
               for i in range(20))
MESSAGE = ("From: a@b.c\nTo: d@e.f\nSubject: " + "hello world " * 20 +
           "\nContent-Type: multipart/mixed; boundary=XX\n\n" + BODY + "--XX--\n")


def parse_and_write(text):
    m = email.message_from_string(text, policy=email.policy.default)
    for part in m.walk():
        part.get_content_type()
        part.get("Subject")
    return m.as_string()


def main():
    end = time.perf_counter() + float(sys.argv[1] if len(sys.argv) > 1 else 2)
    while time.perf_counter() < end:
        parse_and_write(MESSAGE)


main()
