create user arrears with password 'arrears';
create database arrears owner arrears;
