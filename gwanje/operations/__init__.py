"""Control-room operations (issue 6): incidents and their timeline, notifications to
police, fire, the disaster room and departments (ORD-18.2, 20.4). Later slices add
response manuals, bells, shifts and handovers."""
