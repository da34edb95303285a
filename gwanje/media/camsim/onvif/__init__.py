"""A minimal ONVIF device for the camera simulator: Device, Media and PTZ services over
SOAP 1.2 on HTTP, with WS-Security UsernameToken digest authentication, one device per
PTZ camera, each on its own port (`http://HOST:PORT/onvif/device_service`). See
`server.py`."""
