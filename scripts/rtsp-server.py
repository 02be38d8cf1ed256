#!/usr/bin/python3
# rtsp-server.py serves an H.264 or H.265 elementary stream file in a loop,
# timestamped and paced at FPS frames a second as a camera sends it, over
# RTSP at rtsp://127.0.0.1:PORT/cam, optionally behind Basic
# authentication, with GStreamer's RTSP server (Debian: python3-gi
# gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad;
# scripts/test-deps.sh installs them). It is the independent RTSP camera of
# drivers/rtsp's tests (internal/testsvc.GstRTSPServer), and a camera to
# rehearse a pulled camera with:
#
#   /usr/bin/python3 scripts/rtsp-server.py 8554 firmware-sim/camera/testdata/clip.h264 [h264|h265] [FPS] [USER PASSWORD]
#
# then register {rtsp: {url: "rtsp://127.0.0.1:8554/cam"}}. Listens on
# 127.0.0.1 only; prints "ready" once it does.
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
args = sys.argv[1:] + [''] * 6
port, clip, codec, fps, user, pw = args[:6]
codec, fps = codec or 'h264', fps or '25'
if not port or not clip:
    sys.exit('usage: rtsp-server.py PORT CLIP [h264|h265] [FPS] [USER PASSWORD]')
srv = GstRtspServer.RTSPServer()
srv.set_address('127.0.0.1')
srv.set_service(port)
f = GstRtspServer.RTSPMediaFactory()
# multifilesrc loops the file byte for byte and the parser cuts it into
# access units, but they carry no presentation timestamp (PTS), and the
# payloader stamps RTP with the PTS: without one every packet has the same
# RTP timestamp. (The parser's interpolated DTS follows the clip's own
# frame rate, not FPS.) stamp (below) gives access unit n the time n/FPS,
# as PTS and DTS — right for these clips, which have no B-frames — and the
# server's sinks then send each at its time: timestamped and paced as a
# camera sends.
f.set_launch('( multifilesrc location="%s" loop=true caps="video/x-%s,stream-format=byte-stream" '
             '! %sparse name=parse ! video/x-%s,alignment=au ! rtp%spay name=pay0 pt=96 config-interval=-1 )'
             % (clip, codec, codec, codec, codec))
f.set_shared(True)
frame_ns = Gst.SECOND // int(fps)


def configure(factory, media):
    n = [0]  # access units stamped so far, in this media's pipeline

    def stamp(pad, info):
        # The parser's output buffer goes on to the payloader alone:
        # setting its fields in place is safe here.
        buf = info.get_buffer()
        buf.pts = buf.dts = n[0] * frame_ns
        buf.duration = frame_ns
        n[0] += 1
        return Gst.PadProbeReturn.OK

    media.get_element().get_by_name('parse').get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, stamp)


f.connect('media-configure', configure)
if user:
    auth = GstRtspServer.RTSPAuth()
    tok = GstRtspServer.RTSPToken()
    tok.set_string('media.factory.role', 'user')
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, pw), tok)
    srv.set_auth(auth)
    perms = GstRtspServer.RTSPPermissions()
    perms.add_role_from_structure(Gst.Structure.from_string(
        'user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true')[0])
    f.set_permissions(perms)
srv.get_mount_points().add_factory('/cam', f)
srv.attach(None)
print('ready', flush=True)
GLib.MainLoop().run()
